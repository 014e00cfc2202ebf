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

    /// <summary>
    /// The saved state, or a fresh one. Never throws. A file that cannot be used (corrupt, not UTF-8, a folder or a
    /// named pipe in its place) is set aside, so the next save can replace it and it no longer hides a retry wait.
    /// </summary>
    /// <remarks>
    /// A fresh state means "no wait": at worst one upload is tried early. The file is not locked, so another process
    /// may just have saved a good one in its place; setting that aside too only costs the same early try.
    /// </remarks>
    public DeliveryState Load()
    {
        var file = Read();
        if (file.State == HomeFileState.Unusable)
        {
            HomeFiles.TrySetAside(_files, _path);
        }

        return file.Value ?? new DeliveryState();
    }

    /// <summary>The file as read, or why it cannot be used; writes nothing (for <c>candor status</c>). Never throws.</summary>
    public HomeFile<DeliveryState> Read() =>
        HomeFiles.Read(_files, _path, HomeFiles.MaxStateBytes, static json => DeliveryStateJson.Read(json));

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
