namespace Candor.Protocol;

/// <summary>
/// The native ingestion protocol shared by the SDK's uploader and the collector (see docs/protocol.md).
/// A change that an older peer cannot read gets a new version prefix, never an edit of <c>/v1</c>.
/// </summary>
internal static class ProtocolConstants
{
    /// <summary>The path of the batch ingestion endpoint, relative to the collector's base address.</summary>
    public const string BatchPath = "/v1/events";

    /// <summary>The path of the deletion-on-request endpoint for one install's data.</summary>
    public const string DeletePath = "/v1/installs/delete";

    /// <summary>The header that carries the product's write-only ingestion key.</summary>
    public const string KeyHeader = "X-Candor-Key";

    /// <summary>The media type of a batch body (before content encoding).</summary>
    public const string MediaType = "application/json";

    /// <summary>The content encoding the uploader uses for batch bodies.</summary>
    public const string Encoding = "gzip";

    /// <summary>The most events one batch may hold.</summary>
    public const int MaxEventsPerBatch = 500;

    /// <summary>The largest batch body the collector accepts after decompression, in bytes.</summary>
    public const int MaxDecompressedBytes = 4 * 1024 * 1024;

    /// <summary>The largest batch body the collector accepts on the wire, in bytes.</summary>
    public const int MaxCompressedBytes = 1024 * 1024;

    /// <summary>The largest single event, in bytes of JSON.</summary>
    public const int MaxEventBytes = 32 * 1024;
}
