using System.Globalization;
using Candor.Protocol;

namespace Candor.Delivery;

/// <summary>
/// How the SDK keeps events on disk and sends them. The defaults suit a command-line tool that runs for a
/// second and exits; a long-running host can raise the bounds. The options are read once, when the client
/// is built; later changes to this object have no effect.
/// </summary>
public sealed class DeliveryOptions
{
    /// <summary>
    /// The longest the tool waits at exit for an upload that is already in flight (default 200 ms). When no
    /// upload is in flight the tool does not wait at all. Must not be negative.
    /// </summary>
    public TimeSpan ExitBudget { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The one timeout of an upload request, from the start of the connection to the end of the response
    /// (default 10 s). A request that takes longer counts as a network failure and is retried later.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A tool's client starts an upload only when this many events wait in the spool (default 25) or the oldest
    /// has waited <see cref="UploadAfter"/>, so most short runs send nothing and never wait at exit, and the
    /// collector gets fewer, fuller requests. 1 uploads after every event.
    /// </summary>
    public int UploadAtEvents { get; set; } = 25;

    /// <summary>How long an event may wait in the spool before a run uploads it however few wait (default 10 minutes).</summary>
    public TimeSpan UploadAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most events a product's spool holds (default 10,000); past it the oldest are dropped and counted.</summary>
    public int MaxSpoolFiles { get; set; } = 10_000;

    /// <summary>The most bytes a product's spool holds (default 16 MiB); past it the oldest are dropped and counted.</summary>
    public long MaxSpoolBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>How long an event may wait in the spool (default 14 days); older events are dropped and counted.</summary>
    public TimeSpan MaxSpoolAge { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How many unreadable spool files are kept aside for inspection (default 20); older ones are deleted.</summary>
    public int MaxCorruptFiles { get; set; } = 20;

    /// <summary>The size of the local log of acknowledged events (default 1 MiB); past it the oldest entries are trimmed.</summary>
    public long MaxSentLogBytes { get; set; } = 1024 * 1024;

    /// <summary>The size of the local log of events the collector refused (default 256 KiB); past it the oldest entries are trimmed.</summary>
    public long MaxRejectedLogBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// The wait after the first failed upload (network error, timeout, 408, 429, 5xx), doubled after each
    /// further failure up to <see cref="RetryMaxDelay"/>, with random jitter (default 10 s).
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between failed uploads (default 1 hour).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The wait after the collector refused a whole request for a reason a retry cannot fix soon (401, 403,
    /// 415 and other 4xx), so an unknown key does not hammer the collector (default 6 hours). The events stay
    /// spooled: a key can be fixed.
    /// </summary>
    public TimeSpan RefusedRetryDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A checked copy, so a caller's later changes cannot reach a running client.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    internal DeliveryOptions Validated()
    {
        var copy = (DeliveryOptions)MemberwiseClone();
        copy.Check();
        return copy;
    }

    private void Check()
    {
        // A one-line log entry holds one event, so a log must hold at least two to keep anything while trimming.
        const long MinLogBytes = 2L * ProtocolConstants.MaxEventBytes;

        Require(ExitBudget >= TimeSpan.Zero && ExitBudget != Timeout.InfiniteTimeSpan, nameof(ExitBudget), "must be zero or positive and finite");
        Require(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), "must be positive");
        Require(UploadAtEvents >= 1, nameof(UploadAtEvents), "must be at least 1");
        Require(UploadAfter >= TimeSpan.Zero, nameof(UploadAfter), "must be zero or positive");
        Require(MaxSpoolFiles >= 1, nameof(MaxSpoolFiles), "must be at least 1");
        Require(MaxSpoolBytes >= ProtocolConstants.MaxEventBytes, nameof(MaxSpoolBytes), "must be at least {0} (one event)", ProtocolConstants.MaxEventBytes);
        Require(MaxSpoolAge > TimeSpan.Zero, nameof(MaxSpoolAge), "must be positive");
        Require(MaxCorruptFiles >= 0, nameof(MaxCorruptFiles), "must be zero or positive");
        Require(MaxSentLogBytes >= MinLogBytes, nameof(MaxSentLogBytes), "must be at least {0}", MinLogBytes);
        Require(MaxRejectedLogBytes >= MinLogBytes, nameof(MaxRejectedLogBytes), "must be at least {0}", MinLogBytes);
        Require(RetryBaseDelay > TimeSpan.Zero, nameof(RetryBaseDelay), "must be positive");
        Require(RetryMaxDelay >= RetryBaseDelay, nameof(RetryMaxDelay), "must be at least RetryBaseDelay");
        Require(RefusedRetryDelay > TimeSpan.Zero, nameof(RefusedRetryDelay), "must be positive");
    }

    // The rule's number is formatted only when it is broken: every run checks these, and formatting a number
    // at start-up is work (and, with the current culture, a globalization library to load) for nothing.
    private static void Require(bool condition, string name, string rule, long bound = 0)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, $"DeliveryOptions.{name} {string.Format(CultureInfo.InvariantCulture, rule, bound)}.");
        }
    }
}
