using System.Text.Json;
using System.Text.Json.Serialization;

namespace Candor.Protocol;

/// <summary>
/// One event as it travels from the SDK to the collector. Property values are JSON strings, booleans or
/// arrays of strings; measurements are numbers. Every value has already been through the manifest's
/// privacy transforms (buckets, keyed hashes, scrubbed stacks) before it is written.
/// </summary>
internal sealed class WireEvent
{
    /// <summary>A random ID that makes delivery idempotent: the collector stores an ID once.</summary>
    [JsonPropertyName(WireNames.Id)]
    public Guid Id { get; set; }

    /// <summary>The declared event name.</summary>
    [JsonPropertyName(WireNames.Name)]
    public string Name { get; set; } = "";

    /// <summary>When the event was tracked (UTC).</summary>
    [JsonPropertyName(WireNames.Time)]
    public DateTimeOffset Time { get; set; }

    /// <summary>The product ID from the manifest.</summary>
    [JsonPropertyName(WireNames.Product)]
    public string Product { get; set; } = "";

    /// <summary>The manifest revision the event follows.</summary>
    [JsonPropertyName(WireNames.Revision)]
    public int Revision { get; set; }

    /// <summary>The product's random install ID.</summary>
    [JsonPropertyName(WireNames.Install)]
    public Guid Install { get; set; }

    /// <summary>The random ID of the process that tracked the event.</summary>
    [JsonPropertyName(WireNames.Session)]
    public Guid Session { get; set; }

    /// <summary>
    /// The install's deletion verifier: SHA-256 of its deletion proof, 64 lower-case hex characters. The collector keeps
    /// the first one it sees for the install and deletes the install's data only for a request that carries the proof.
    /// The same for every event of one install; absent from events that are not uploaded and from older SDKs.
    /// </summary>
    [JsonPropertyName(WireNames.Verifier)]
    public string? Verifier { get; set; }

    /// <summary>Where the event was tracked.</summary>
    [JsonPropertyName(WireNames.Context)]
    public WireContext Context { get; set; } = new();

    /// <summary>Declared properties: strings, booleans or arrays of strings.</summary>
    [JsonPropertyName(WireNames.Properties)]
    public Dictionary<string, JsonElement>? Properties { get; set; }

    /// <summary>Declared measurements (durations in milliseconds).</summary>
    [JsonPropertyName(WireNames.Measurements)]
    public Dictionary<string, double>? Measurements { get; set; }
}

/// <summary>The common context of an event, computed once per process.</summary>
internal sealed class WireContext
{
    /// <summary>The product's version.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Version)]
    public string Version { get; set; } = "";

    /// <summary>The OS family: <c>linux</c>, <c>windows</c>, <c>macos</c>, <c>freebsd</c> or <c>other</c>.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Os)]
    public string Os { get; set; } = "";

    /// <summary>The OS name and version, for example <c>ubuntu 22.04</c> or <c>10.0.22631</c>.</summary>
    [JsonPropertyName(WireNames.ContextMembers.OsVersion)]
    public string OsVersion { get; set; } = "";

    /// <summary>The process architecture: <c>x64</c>, <c>arm64</c>, ...</summary>
    [JsonPropertyName(WireNames.ContextMembers.Arch)]
    public string Arch { get; set; } = "";

    /// <summary>The .NET runtime version, for example <c>8.0.11</c>.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Runtime)]
    public string Runtime { get; set; } = "";

    /// <summary>The CI vendor when the run is a CI run, else absent.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Ci)]
    public string? Ci { get; set; }

    /// <summary>Whether the process runs in a container.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Container)]
    public bool Container { get; set; }

    /// <summary>Whether the process runs under the Windows Subsystem for Linux.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Wsl)]
    public bool Wsl { get; set; }

    /// <summary>Whether a person is at an interactive terminal.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Interactive)]
    public bool Interactive { get; set; }

    /// <summary>What hosts the process: <c>process</c>, <c>container</c>, <c>notebook</c> or <c>ci</c>.</summary>
    [JsonPropertyName(WireNames.ContextMembers.Host)]
    public string Host { get; set; } = "process";
}

/// <summary>A batch of events: the body of <see cref="ProtocolConstants.BatchPath"/>.</summary>
internal sealed class WireBatch
{
    /// <summary>The events, at most <see cref="ProtocolConstants.MaxEventsPerBatch"/>.</summary>
    [JsonPropertyName(WireNames.Events)]
    public List<WireEvent> Events { get; set; } = [];
}

/// <summary>
/// The collector's answer to a batch it could read. Each event is either accepted (stored, or already
/// stored under its ID) or rejected with its index and a reason; the uploader deletes both kinds from its
/// spool and records the rejected ones.
/// </summary>
internal sealed class BatchResponse
{
    /// <summary>How many events were stored by this request.</summary>
    public int Accepted { get; set; }

    /// <summary>How many events had been stored before (a retry) and were not stored again.</summary>
    public int Duplicates { get; set; }

    /// <summary>The events that were refused, and why.</summary>
    public List<ItemRejection> Rejected { get; set; } = [];
}

/// <summary>Why one event of a batch was refused.</summary>
internal sealed class ItemRejection
{
    /// <summary>The event's position in the batch, from 0.</summary>
    public int Index { get; set; }

    /// <summary>The event's ID, when it could be read.</summary>
    public Guid? Id { get; set; }

    /// <summary>A stable, machine-readable reason such as <c>undeclared-property</c>.</summary>
    public string Reason { get; set; } = "";

    /// <summary>A sentence for people: which event, property and value, and what is wrong.</summary>
    public string Detail { get; set; } = "";
}

/// <summary>The body of a request-level error (4xx): one reason and one sentence.</summary>
internal sealed class ProblemResponse
{
    /// <summary>A stable, machine-readable reason such as <c>unknown-key</c>.</summary>
    public string Reason { get; set; } = "";

    /// <summary>What is wrong, for people.</summary>
    public string Detail { get; set; } = "";
}

/// <summary>The body of a deletion-on-request: the install whose data is deleted, and the proof of being that install.</summary>
internal sealed class DeleteInstallRequest
{
    /// <summary>The install ID whose raw events are deleted.</summary>
    public Guid Install { get; set; }

    /// <summary>
    /// The install's deletion proof, 64 lower-case hex characters, derived from the install's secret. The collector
    /// deletes only when its SHA-256 is the verifier the install's uploads carried.
    /// </summary>
    public string? Proof { get; set; }
}

/// <summary>The answer to a deletion-on-request.</summary>
internal sealed class DeleteInstallResponse
{
    /// <summary>How many raw events were removed.</summary>
    public long Deleted { get; set; }
}

/// <summary>
/// Source-generated JSON metadata for the protocol types (trimming- and AOT-safe): the codec of the request and
/// response bodies that only one side writes and one side reads, and the reference codec of the event format, which
/// the SDK writes and the collector reads with hand-written codecs for speed (the round-trip test of every codec,
/// test/Candor.Collector.Tests/Ingestion/WireRoundTripTests.cs, holds them to it). The event's, context's and batch's
/// member names are <see cref="WireNames"/>; the responses' are their properties' names in camel case.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WireEvent))]
[JsonSerializable(typeof(WireBatch))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(ProblemResponse))]
[JsonSerializable(typeof(DeleteInstallRequest))]
[JsonSerializable(typeof(DeleteInstallResponse))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
