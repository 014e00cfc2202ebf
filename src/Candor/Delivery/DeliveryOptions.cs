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
    /// The longest the tool waits at exit for an upload in process that is already in flight (default 200 ms); only
    /// a run that lived past <see cref="UploadDelay"/> has one, and what it did not finish goes to the detached
    /// uploader. When no upload is in flight the tool does not wait at all. Must not be negative.
    /// </summary>
    public TimeSpan ExitBudget { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The one timeout of an upload request, from the start of the connection to the end of the response
    /// (default 10 s). A request that takes longer counts as a network failure and is retried later.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether a run that spooled events hands them, as it exits, to the detached uploader: a small process
    /// (<c>candor-upload</c>, carried in the tool's folder by the <c>Candor</c> package) that sends them after the tool
    /// has exited, one per Candor home, and ends when the spool is empty or after <see cref="UploaderLifetime"/>
    /// (default true). When it is off, or no .NET host is found to run it, a run's events wait for a later run
    /// that lives long enough to upload in process, or for <c>candor send</c>.
    /// </summary>
    public bool DetachedUpload { get; set; } = true;

    /// <summary>
    /// The longest the detached uploader keeps trying while the collector cannot be reached (default 1 minute);
    /// what it could not send stays spooled for the next run.
    /// </summary>
    public TimeSpan UploaderLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// In a process that lives on (a long-running host, or any run that outlives its first events), how long after
    /// an event the upload in process starts, so a burst of events goes in one request (default 2 s). Zero uploads at
    /// once. A short run does not upload in process: its exit hands the events to the detached uploader.
    /// </summary>
    public TimeSpan UploadDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The most events a product's spool holds while the collector cannot be reached (default 10,000); past it the
    /// oldest are dropped and counted. While deliveries succeed, only four times this bound drops anything: events
    /// that wait for an uploader that is keeping up are not lost.
    /// </summary>
    public int MaxSpoolFiles { get; set; } = 10_000;

    /// <summary>
    /// The most bytes a product's spool holds while the collector cannot be reached (default 16 MiB); past it the
    /// oldest are dropped and counted. While deliveries succeed, only four times this bound drops anything.
    /// </summary>
    public long MaxSpoolBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>How long an event may wait in the spool (default 14 days); older events are dropped and counted.</summary>
    public TimeSpan MaxSpoolAge { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How many unreadable spool files are kept aside for inspection (default 20); older ones are deleted.</summary>
    public int MaxCorruptFiles { get; set; } = 20;

    /// <summary>
    /// The size of each of a product's two local logs (default 1 MiB): <c>sent.jsonl</c>, the events the collector
    /// acknowledged, and <c>local.jsonl</c>, the events kept at the <c>local</c> level. Past it a log's oldest entries
    /// are trimmed.
    /// </summary>
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

    // Set on the copies Validated makes and on CheckedDefaults, which Candor keeps to itself (no caller can change
    // them): such options are not copied and checked again.
    private bool _checked;

    /// <summary>The defaults, which are in range, as options Candor keeps to itself.</summary>
    internal static DeliveryOptions CheckedDefaults() => new() { _checked = true };

    /// <summary>A checked copy, so a caller's later changes cannot reach a running client; a checked copy itself.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    internal DeliveryOptions Validated()
    {
        if (_checked)
        {
            return this;
        }

        var copy = (DeliveryOptions)MemberwiseClone();
        copy.Check();
        copy._checked = true;
        return copy;
    }

    private void Check()
    {
        // A one-line log entry holds one event, so a log must hold at least two to keep anything while trimming.
        const long MinLogBytes = 2L * ProtocolConstants.MaxEventBytes;

        Require(ExitBudget >= TimeSpan.Zero && ExitBudget != Timeout.InfiniteTimeSpan, nameof(ExitBudget), "must be zero or positive and finite");
        Require(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), "must be positive");
        Require(UploaderLifetime > TimeSpan.Zero && UploaderLifetime <= TimeSpan.FromDays(1), nameof(UploaderLifetime), "must be positive and at most a day");
        Require(UploadDelay >= TimeSpan.Zero && UploadDelay != Timeout.InfiniteTimeSpan, nameof(UploadDelay), "must be zero or positive and finite");
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
