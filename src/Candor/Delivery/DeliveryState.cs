using System.Text.Json;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// The retry state of one product, kept in <c>delivery.json</c> so it survives short runs: after a failure
/// the next thousand quick invocations read one small file and leave the dead collector alone.
/// </summary>
internal sealed class DeliveryState
{
    /// <summary>No upload is attempted before this time (UTC); null when the last upload succeeded.</summary>
    public DateTimeOffset? NextAttempt { get; set; }

    /// <summary>Consecutive failed uploads; 0 after a success.</summary>
    public int Failures { get; set; }

    /// <summary>Why the last upload failed, in words (<c>timeout</c>, <c>http-503</c>, ...), for diagnostics.</summary>
    public string? LastFailure { get; set; }

    /// <summary>When the collector last acknowledged a batch.</summary>
    public DateTimeOffset? LastSuccess { get; set; }
}

/// <summary>Reads and writes <see cref="DeliveryState"/>; a missing, unreadable or corrupt file is a fresh state.</summary>
internal sealed class DeliveryStateStore
{
    private readonly string _path;
    private readonly IFileSystem _files;

    public DeliveryStateStore(string path, IFileSystem files)
    {
        _path = path;
        _files = files;
    }

    /// <summary>The saved state, or a fresh one. Never throws for I/O or a corrupt file.</summary>
    public DeliveryState Load()
    {
        try
        {
            var bytes = _files.ReadAllBytesOrNull(_path);
            return bytes is null ? new DeliveryState() : DeliveryStateJson.Read(Utf8Text.WithoutBom(bytes)) ?? new DeliveryState();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return new DeliveryState();
        }
    }

    /// <summary>Saves the state atomically; false when it could not (the next run then tries again at once).</summary>
    public bool Save(DeliveryState state)
    {
        try
        {
            // Into the product's folder only if it is there: an opt-out that erased it while an upload ran stays erased.
            _files.WriteAtomic(_path, DeliveryStateJson.Write(state), durable: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
