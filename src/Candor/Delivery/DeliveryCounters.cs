namespace Candor.Delivery;

/// <summary>
/// What delivery lost or was refused, counted by reason in this process (as Sentry's client reports and
/// OpenTelemetry's dropped counts), so diagnostics and tests can tell a quiet failure from no failure.
/// Thread-safe; never throws.
/// </summary>
internal sealed class DeliveryCounters
{
    // A lock and two small dictionaries rather than ConcurrentDictionary: counts change a few times per upload,
    // and ConcurrentDictionary<string, long> is generic code the JIT would compile at every tool's start. Each is
    // made by its first count: most runs count nothing, and the dictionary's type is a dozen types to load.
    private readonly object _gate = new();
    private Dictionary<string, long>? _dropped;
    private Dictionary<string, long>? _rejected;
    private volatile string? _lastFailure;

    /// <summary>The last upload failure in words (for example <c>timeout</c> or <c>http-503</c>), or null.</summary>
    public string? LastFailure => _lastFailure;

    /// <summary>Events dropped by this process, by <see cref="DropReasons"/> reason.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason => Copy(ref _dropped);

    /// <summary>Events the collector refused, by <see cref="Protocol.RejectionReasons"/> reason.</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason => Copy(ref _rejected);

    public long Dropped(string reason) => Get(ref _dropped, reason);

    public long Rejected(string reason) => Get(ref _rejected, reason);

    public void AddDropped(string reason, long count = 1) => Add(ref _dropped, reason, count);

    public void AddRejected(string reason) => Add(ref _rejected, reason, 1);

    public void Failed(string what) => _lastFailure = what;

    private Dictionary<string, long> Copy(ref Dictionary<string, long>? counts)
    {
        lock (_gate)
        {
            return counts is null ? new(StringComparer.Ordinal) : new(counts, StringComparer.Ordinal);
        }
    }

    private long Get(ref Dictionary<string, long>? counts, string reason)
    {
        lock (_gate)
        {
            return counts is not null && counts.TryGetValue(reason, out var count) ? count : 0;
        }
    }

    private void Add(ref Dictionary<string, long>? counts, string reason, long count)
    {
        if (count <= 0)
        {
            return;
        }

        lock (_gate)
        {
            counts ??= new(StringComparer.Ordinal);
            counts[reason] = (counts.TryGetValue(reason, out var before) ? before : 0) + count;
        }
    }
}

/// <summary>Why the SDK dropped an event before the collector saw it.</summary>
internal static class DropReasons
{
    /// <summary>The spool held <see cref="DeliveryOptions.MaxSpoolFiles"/> events; the oldest went.</summary>
    public const string SpoolFiles = "spool-files";

    /// <summary>The spool held <see cref="DeliveryOptions.MaxSpoolBytes"/>; the oldest went.</summary>
    public const string SpoolBytes = "spool-bytes";

    /// <summary>The event waited longer than <see cref="DeliveryOptions.MaxSpoolAge"/>.</summary>
    public const string SpoolAge = "spool-age";

    /// <summary>The disk (or the user's quota) was full when the event was spooled.</summary>
    public const string DiskFull = "disk-full";

    /// <summary>The spool could not be written for another reason (read-only, missing, no permission).</summary>
    public const string WriteFailed = "write-failed";

    /// <summary>The event is larger than the protocol allows.</summary>
    public const string TooLarge = "too-large";

    /// <summary>A spool file was not an event (truncated, not JSON, no ID) and was set aside.</summary>
    public const string Corrupt = "corrupt";
}
