using System.Collections.Concurrent;

namespace Candor.Delivery;

/// <summary>
/// What delivery lost or was refused, counted by reason in this process (as Sentry's client reports and
/// OpenTelemetry's dropped counts), so diagnostics and tests can tell a quiet failure from no failure.
/// Thread-safe; never throws.
/// </summary>
internal sealed class DeliveryCounters
{
    private readonly ConcurrentDictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private volatile string? _lastFailure;

    /// <summary>The last upload failure in words (for example <c>timeout</c> or <c>http-503</c>), or null.</summary>
    public string? LastFailure => _lastFailure;

    /// <summary>Events dropped by this process, by <see cref="DropReasons"/> reason.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason => new Dictionary<string, long>(_dropped, StringComparer.Ordinal);

    /// <summary>Events the collector refused, by <see cref="Protocol.RejectionReasons"/> reason.</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason => new Dictionary<string, long>(_rejected, StringComparer.Ordinal);

    public long Dropped(string reason) => _dropped.TryGetValue(reason, out var count) ? count : 0;

    public long Rejected(string reason) => _rejected.TryGetValue(reason, out var count) ? count : 0;

    public void AddDropped(string reason, long count = 1)
    {
        if (count > 0)
        {
            _dropped.AddOrUpdate(reason, count, (_, old) => old + count);
        }
    }

    public void AddRejected(string reason) => _rejected.AddOrUpdate(reason, 1, (_, old) => old + 1);

    public void Failed(string what) => _lastFailure = what;
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
