using Candor.Manifest;

namespace Candor.Collector.Storage;

/// <summary>A registered product and its settings.</summary>
internal sealed record ProductRecord(string Name, int RetentionMonths, int KThreshold, DateTimeOffset Created);

/// <summary>One kept revision of a product's manifest, as it was registered.</summary>
internal sealed record ManifestRecord(string Product, int Revision, string Json, DateTimeOffset Registered);

/// <summary>What a credential may do.</summary>
internal enum CredentialRole
{
    /// <summary>Write-only: send events and deletion requests for one product.</summary>
    Ingestion = 1,

    /// <summary>Read the query API.</summary>
    Reader = 2,

    /// <summary>Everything, including registering products and creating credentials.</summary>
    Admin = 3,
}

/// <summary>A credential as stored: the SHA-256 hash of its secret, never the secret.</summary>
internal sealed record CredentialRecord(long Id, byte[] Hash, CredentialRole Role, string? Product, string Name, DateTimeOffset Created);

/// <summary>One line of the audit log: who did what to what.</summary>
internal sealed record AuditEntry(DateTimeOffset Time, string Actor, string Action, string Target, string Detail);

/// <summary>Whether <see cref="IEventLog.AppendAsync"/> stored an event or had it already.</summary>
internal enum AppendOutcome
{
    /// <summary>Stored by this call.</summary>
    Stored,

    /// <summary>An event with the same ID was stored before; nothing changed.</summary>
    Duplicate,
}

/// <summary>The context of an event as the collector keeps it: the client address is already reduced to a country.</summary>
internal sealed record EventContext(
    string Version,
    string Os,
    string OsVersion,
    string Arch,
    string Runtime,
    string Ci,
    string Host,
    bool Container,
    bool Wsl,
    bool Interactive,
    string Country);

/// <summary>One validated property value; a list has several values, everything else one.</summary>
internal sealed record PropertyValue(FieldDefinition Field, IReadOnlyList<string> Values);

/// <summary>One validated measurement.</summary>
internal sealed record MeasurementValue(FieldDefinition Field, double Value);

/// <summary>
/// An event that passed validation against its manifest revision, ready to store. Property values are in the
/// canonical form the manifest names (enum member, bucket label, "true"/"false", hash hex, version, allowed name, signature).
/// <see cref="Verifier"/> is the install's deletion verifier (32 bytes), when the event carried one: the store keeps the
/// first it sees for the install, never with the event. <see cref="StampedOnArrival"/> says the item came through a
/// foreign door without a time of its own, so <see cref="Time"/> is when it arrived and a retry of it comes with the
/// same ID and another time; every event of the SDK carries its own time, which its retries repeat.
/// </summary>
internal sealed record IncomingEvent(
    Guid Id,
    string Product,
    int Revision,
    EventDefinition Definition,
    DateTimeOffset Time,
    Guid Install,
    byte[]? Verifier,
    EventContext Context,
    IReadOnlyList<PropertyValue> Properties,
    IReadOnlyList<MeasurementValue> Measurements,
    bool StampedOnArrival = false);

/// <summary>A stored raw event, decoded for export.</summary>
internal sealed record RawEvent(
    Guid Id,
    string Name,
    int Revision,
    DateTimeOffset Time,
    Guid Install,
    EventContext Context,
    IReadOnlyDictionary<string, object> Properties,
    IReadOnlyDictionary<string, double> Measurements);

/// <summary>The period a query groups by.</summary>
internal enum Interval
{
    /// <summary>One row per UTC day.</summary>
    Day,

    /// <summary>One row per ISO week (starting Monday).</summary>
    Week,

    /// <summary>One row per calendar month.</summary>
    Month,

    /// <summary>One row for the whole range.</summary>
    Total,
}

/// <summary>A context value that shares and filters use.</summary>
internal enum ContextDimension
{
    /// <summary>The product's version.</summary>
    Version,

    /// <summary>The OS family.</summary>
    Os,

    /// <summary>The .NET runtime version.</summary>
    Runtime,

    /// <summary>The country derived from the (dropped) client address.</summary>
    Country,

    /// <summary>Whether the tool ran in a container: <c>true</c> or <c>false</c>.</summary>
    Container,

    /// <summary>The CI vendor, empty outside CI.</summary>
    Ci,
}

/// <summary>
/// What a query looks at: one product, an inclusive range of UTC days, and optionally one event, one product
/// version, one OS family, and CI runs only (<see langword="true"/>) or none (<see langword="false"/>).
/// </summary>
internal sealed record EventFilter(
    string Product,
    DateOnly From,
    DateOnly To,
    string? Event = null,
    string? Version = null,
    string? Os = null,
    bool? Ci = null);

/// <summary>Events and distinct installs in one period (the period's first day).</summary>
/// <param name="Period">The period's first day.</param>
/// <param name="Events">How many events.</param>
/// <param name="Installs">How many distinct installs sent them.</param>
/// <param name="Fingerprint">
/// A fingerprint of the set of installs counted: equal sets give equal fingerprints in one store, sets that differ
/// in any install give unrelated ones. It seeds the noise of what the query API publishes; the stores need not
/// agree on it (SQLite hashes install row IDs, PostgreSQL install IDs).
/// </param>
/// <param name="Heaviest">
/// A bound on the events one install added to <paramref name="Events"/>: the sum, over the days (and, for property
/// values, the event names) counted, of the largest count of one install in one context that day. It scales the
/// noise of published event counts so that one heavy install cannot be read from them.
/// </param>
internal sealed record PeriodCount(DateOnly Period, long Events, long Installs, long Fingerprint = 0, long Heaviest = 0);

/// <summary>Events and distinct installs for one value.</summary>
/// <param name="Value">The value.</param>
/// <param name="Events">How many events.</param>
/// <param name="Installs">How many distinct installs sent them.</param>
/// <param name="Fingerprint">As in <see cref="PeriodCount"/>.</param>
/// <param name="Heaviest">As in <see cref="PeriodCount"/>.</param>
internal sealed record GroupCount(string Value, long Events, long Installs, long Fingerprint = 0, long Heaviest = 0);

/// <summary>How many durations fell into one histogram bucket in one period.</summary>
internal sealed record HistogramCount(DateOnly Period, int Bucket, long Count);
