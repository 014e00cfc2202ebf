namespace Candor.Delivery;

/// <summary>
/// What delivery lost or was refused, counted by reason in this process (as Sentry's client reports and
/// OpenTelemetry's dropped counts), so diagnostics and tests can tell a quiet failure from no failure.
/// Thread-safe; never throws.
/// </summary>
internal sealed class DeliveryCounters
{
    // A lock and two small dictionaries rather than ConcurrentDictionary: counts change a few times per upload,
    // and ConcurrentDictionary<string, long> is generic code the JIT would compile at every tool's start.
    private readonly object _gate = new();
    private readonly Dictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private volatile string? _lastFailure;

    /// <summary>The last upload failure in words (for example <c>timeout</c> or <c>http-503</c>), or null.</summary>
    public string? LastFailure => _lastFailure;

    /// <summary>Events dropped by this process, by <see cref="DropReasons"/> reason.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason => Copy(_dropped);

    /// <summary>Events the collector refused, by <see cref="Protocol.RejectionReasons"/> reason.</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason => Copy(_rejected);

    public long Dropped(string reason) => Get(_dropped, reason);

    public long Rejected(string reason) => Get(_rejected, reason);

    public void AddDropped(string reason, long count = 1) => Add(_dropped, reason, count);

    public void AddRejected(string reason) => Add(_rejected, reason, 1);

    public void Failed(string what) => _lastFailure = what;

    private Dictionary<string, long> Copy(Dictionary<string, long> counts)
    {
        lock (_gate)
        {
            return new Dictionary<string, long>(counts, StringComparer.Ordinal);
        }
    }

    private long Get(Dictionary<string, long> counts, string reason)
    {
        lock (_gate)
        {
            return counts.TryGetValue(reason, out var count) ? count : 0;
        }
    }

    private void Add(Dictionary<string, long> counts, string reason, long count)
    {
        if (count <= 0)
        {
            return;
        }

        lock (_gate)
        {
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
