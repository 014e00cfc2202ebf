using System.Diagnostics;
using System.Globalization;
using Candor.Catalog;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// What the detached uploader (<c>candor-upload</c>) does for a Candor home after the runs that asked for it
/// (<see cref="UploadRequests"/>) have exited: takes the home's upload lock, sends each asked product's spool to
/// the collector its official build recorded (<c>catalog/{id}.json</c>), and ends as soon as nothing is asked any
/// more, or when the collector cannot be reached and the next retry would fall after its lifetime. What it could not
/// send stays spooled, and the failure's wait is kept on disk for the runs that come next.
/// </summary>
internal sealed class DetachedUpload
{
    // How long an uploader started by an exiting run that itself held the lock waits for that run to end.
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(50);

    private readonly CandorHome _home;
    private readonly IFileSystem _files;
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _options;
    private readonly Func<HttpMessageHandler?> _handler;
    private readonly UploadRequests _requests;
    private readonly ProductRecordStore _records;

    public DetachedUpload(CandorHome home, DeliveryOptions options, IFileSystem? files = null, TimeProvider? time = null, Func<HttpMessageHandler?>? handler = null)
    {
        _home = home;
        _options = options.Validated();
        _files = files ?? PhysicalFileSystem.Instance;
        _time = time ?? TimeProvider.System;
        _handler = handler ?? (static () => null);
        _requests = new UploadRequests(home, _files);
        _records = new ProductRecordStore(home, _files);
    }

    /// <summary>What one uploader did: events acknowledged and refused by the collector, and failed uploads.</summary>
    public readonly record struct Outcome(bool Ran, int Acknowledged, int Rejected, int Failures);

    /// <summary>
    /// <c>candor-upload home [--lifetime seconds] [--wait]</c>: the uploader's entry point. Returns 0 when it ran or
    /// found another uploader at work, 2 for a wrong command line. Never throws.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length == 0 || string.IsNullOrWhiteSpace(args[0]))
        {
            Console.Error.WriteLine("usage: candor-upload <candor home> [--lifetime <seconds>] [--wait]");
            return 2;
        }

        var options = new DeliveryOptions();
        var wait = false;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--wait")
            {
                wait = true;
            }
            else if (args[i] == "--lifetime" && i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                options.UploaderLifetime = TimeSpan.FromSeconds(Math.Min(seconds, 86_400));
            }
            else
            {
                Console.Error.WriteLine($"candor-upload: unknown argument '{args[i]}'");
                return 2;
            }
        }

        LowerPriority();
        try
        {
            new DetachedUpload(new CandorHome(Path.GetFullPath(args[0])), options).RunAsync(wait, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            // Nobody reads this process's output; the runs that come next try again.
            Diagnostics.SelfLog.Failure("running the detached uploader", e);
        }

        return 0;
    }

    /// <summary>
    /// Takes the home's upload lock (waiting for it a little when <paramref name="waitForLock"/>) and sends every
    /// asked product's spool, again whenever a run asks meanwhile. Returns without sending when another uploader holds
    /// the lock: that one sees the requests when it lets go. Never throws for a network or file-system failure.
    /// </summary>
    public async Task<Outcome> RunAsync(bool waitForLock, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.UploaderLifetime;
        var held = waitForLock ? await WaitForLockAsync(cancellationToken).ConfigureAwait(false) : UploadLock.TryTake(_home, _files);
        if (held is null)
        {
            return default;
        }

        var total = new Outcome(Ran: true, 0, 0, 0);
        while (held is not null)
        {
            using (held)
            {
                total = await SendAskedAsync(total, deadline, cancellationToken).ConfigureAwait(false);
            }

            // A run that asked after the last look found the lock held, or this uploader on its way, and left its request
            // to it. The mark goes first, so a run that asks from now on starts an uploader of its own (UploaderLaunch).
            UploaderLaunch.Unmark(_home, _files);
            held = _requests.Pending().Count > 0 && _time.GetUtcNow() < deadline ? UploadLock.TryTake(_home, _files) : null;
        }

        return total;
    }

    private async Task<Outcome> SendAskedAsync(Outcome total, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && _requests.Pending() is { Count: > 0 } asked)
        {
            DateTimeOffset? retry = null;
            foreach (var product in asked)
            {
                _requests.Remove(product);
                var (result, next) = await SendAsync(product, cancellationToken).ConfigureAwait(false);
                total = total with
                {
                    Acknowledged = total.Acknowledged + result.Acknowledged,
                    Rejected = total.Rejected + result.Rejected,
                    Failures = total.Failures + (result.Status == UploadStatus.Failed ? 1 : 0),
                };

                // Tried again by this uploader if the wait and one more request fit in its lifetime.
                if (next is { } at && at + _options.RequestTimeout <= deadline)
                {
                    _requests.Add(product);
                    retry = retry < at ? retry : at;
                }
            }

            // A pass that left retries waits for the earliest; products asked meanwhile go with the next pass.
            if (retry is { } wake && !await WaitUntilAsync(wake, cancellationToken).ConfigureAwait(false))
            {
                return total;
            }
        }

        return total;
    }

    // Sends one product's spool, built as a run builds it (EventDelivery), with this uploader holding the home's
    // lock; returns what the collector said and, after a failure, when the wait it set ends.
    private async Task<(UploadResult Result, DateTimeOffset? RetryAt)> SendAsync(string product, CancellationToken cancellationToken)
    {
        if (_records.TryRead(product) is not { Endpoint: { } endpoint, IngestionKey: { } key })
        {
            // No official build of the product said where to send: nothing is sent (a private build never uploads).
            return (new UploadResult(UploadStatus.NothingToSend), null);
        }

        EventDelivery delivery;
        try
        {
            delivery = new EventDelivery(_home, product, endpoint, key, _options, _files, _time, _handler());
        }
        catch (ArgumentException)
        {
            // A record whose collector address or key is not one the SDK would send to.
            return (new UploadResult(UploadStatus.NothingToSend), null);
        }

        using (delivery)
        {
            var result = await delivery.SendPendingAsync(cancellationToken).ConfigureAwait(false);
            return (result, result.Status is UploadStatus.Failed or UploadStatus.BackingOff ? delivery.NextAttempt() : null);
        }
    }

    private async Task<IDisposable?> WaitForLockAsync(CancellationToken cancellationToken)
    {
        var until = _time.GetUtcNow() + LockWait;
        while (true)
        {
            if (UploadLock.TryTake(_home, _files) is { } held)
            {
                return held;
            }

            if (_time.GetUtcNow() >= until || !await WaitUntilAsync(_time.GetUtcNow() + LockPoll, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    private async Task<bool> WaitUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var wait = at - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return true;
        }

        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void LowerPriority()
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            self.PriorityClass = ProcessPriorityClass.BelowNormal;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or PlatformNotSupportedException or InvalidOperationException)
        {
            // Not allowed here: the uploader sleeps on the network most of the time anyway.
        }
    }
}
