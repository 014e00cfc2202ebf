namespace Candor.Protocol;

/// <summary>
/// The member names of the batch body, of each event and of its context, in the order the SDK writes them. Every codec
/// of the event wire format takes its names from here: the SDK's writer (<c>Tracking/EventSerializer.cs</c> and
/// <see cref="WireContextJson"/>), the uploader's batch body (<c>Delivery/BatchBody.cs</c>), the spool's and the
/// <c>candor</c> tool's readers of single members, <see cref="ProtocolJsonContext"/> (through the
/// <see cref="System.Text.Json.Serialization.JsonPropertyNameAttribute"/> of <see cref="WireEvent"/>,
/// <see cref="WireContext"/> and <see cref="WireBatch"/>), and the collector's reader, its translation of foreign
/// items and its sample batch. docs/protocol.md describes each member.
/// </summary>
internal static class WireNames
{
    /// <summary>The batch body's one member: the array of events.</summary>
    public const string Events = "events";

    /// <summary>The event's random ID, the idempotency key.</summary>
    public const string Id = "id";

    /// <summary>The declared event name.</summary>
    public const string Name = "name";

    /// <summary>When the event was tracked: ISO 8601, UTC (the SDK writes <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>).</summary>
    public const string Time = "time";

    /// <summary>The manifest's product ID.</summary>
    public const string Product = "product";

    /// <summary>The manifest revision the event follows.</summary>
    public const string Revision = "revision";

    /// <summary>The product's random install ID.</summary>
    public const string Install = "install";

    /// <summary>The random ID of the process that tracked the event.</summary>
    public const string Session = "session";

    /// <summary>The install's deletion verifier (<see cref="PropertyGrammar.IsVerifier"/>); absent when not uploading.</summary>
    public const string Verifier = "verifier";

    /// <summary>The context object.</summary>
    public const string Context = "context";

    /// <summary>The declared properties: strings, booleans or arrays of strings.</summary>
    public const string Properties = "properties";

    /// <summary>The declared measurements: numbers.</summary>
    public const string Measurements = "measurements";

    /// <summary>A member older SDKs sent (a hash of a MAC address); the collector skips it unread.</summary>
    public const string LegacyMachine = "machine";

    /// <summary>The names of the context's members, in the order the SDK writes them.</summary>
    public static class ContextMembers
    {
        /// <summary>The product's version.</summary>
        public const string Version = "version";

        /// <summary>The OS family.</summary>
        public const string Os = "os";

        /// <summary>The OS name and version.</summary>
        public const string OsVersion = "osVersion";

        /// <summary>The process architecture.</summary>
        public const string Arch = "arch";

        /// <summary>The .NET runtime version.</summary>
        public const string Runtime = "runtime";

        /// <summary>The CI vendor; absent outside CI.</summary>
        public const string Ci = "ci";

        /// <summary>Whether the process runs in a container.</summary>
        public const string Container = "container";

        /// <summary>Whether the process runs under WSL.</summary>
        public const string Wsl = "wsl";

        /// <summary>Whether a person is at an interactive terminal.</summary>
        public const string Interactive = "interactive";

        /// <summary>What hosts the process.</summary>
        public const string Host = "host";
    }
}
