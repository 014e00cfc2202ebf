namespace Candor.Collector.Storage;

/// <summary>
/// The raw events: appending them (which also updates the rollups), reading them for export, and deleting them, one
/// install at a time or by retention together with the rollups.
/// </summary>
internal interface IEventLog
{
    /// <summary>Events handed to <see cref="AppendAsync"/> and not yet committed (the store's backlog).</summary>
    int Backlog { get; }

    /// <summary>
    /// How long events handed to <see cref="AppendAsync"/> now would wait until they are committed, from the backlog
    /// and the writer's measured pace (see <see cref="WriterPace"/>). Ingestion refuses requests at once while it is
    /// longer than <see cref="StorageOptions.MaxWait"/>.
    /// </summary>
    TimeSpan EstimatedWait { get; }

    /// <summary>
    /// Stores validated events and updates the rollups. Completes only after the events are durably committed;
    /// an event whose ID is already stored (a retry) is reported as a duplicate and not stored again.
    /// The outcomes are in the order of <paramref name="events"/>.
    /// </summary>
    Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<IncomingEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// The deletion verifier kept for one install (32 bytes: the first one its events carried), or null when the install
    /// is not stored or was stored without one. Kept until the install is deleted or its last event expires.
    /// </summary>
    Task<byte[]?> GetInstallVerifierAsync(string product, Guid install, CancellationToken cancellationToken);

    /// <summary>Deletes every raw event of one install, its verifier, and the rollup rows that name it; returns how many raw events were removed.</summary>
    Task<long> DeleteInstallAsync(string product, Guid install, CancellationToken cancellationToken);

    /// <summary>Deletes the product's raw events tracked before <paramref name="cutoff"/>; returns how many.</summary>
    Task<long> DeleteEventsBeforeAsync(string product, DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>Deletes the product's rollup rows for days before <paramref name="cutoff"/>; returns how many rows.</summary>
    Task<long> DeleteRollupsBeforeAsync(string product, DateOnly cutoff, CancellationToken cancellationToken);

    /// <summary>
    /// Removes from the store's files the bytes that deletions made at least <paramref name="age"/> ago left behind,
    /// where deleting a row does not remove them at once; returns whether there was such work and it was done.
    /// </summary>
    Task<bool> CompactErasedAsync(TimeSpan age, CancellationToken cancellationToken);

    /// <summary>How many raw events the product has.</summary>
    Task<long> CountRawEventsAsync(string product, CancellationToken cancellationToken);

    /// <summary>Raw events in time order, for export; the caller audits the read.</summary>
    Task<IReadOnlyList<RawEvent>> ReadRawAsync(EventFilter filter, int limit, CancellationToken cancellationToken);
}
