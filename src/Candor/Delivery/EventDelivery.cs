using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// Delivery for one product, as the client uses it: spool each serialized event; in a process that lives on, upload
/// in the background; at exit wait for an upload only if one is in flight, never longer than the exit budget, and
/// hand what this run left unsent to the detached uploader (<see cref="HandOff"/>), which sends it after the tool
/// has exited. Whatever it cannot send stays spooled for a later run of any Candor tool for the product.
/// </summary>
internal sealed class EventDelivery : IDisposable
{
    private readonly CandorHome _home;
    private readonly string _product;
    private readonly IFileSystem _files;
    private readonly UploadRequests _requests;
    private readonly IUploaderStarter _starter;
    private readonly Uploader _uploader;
    private readonly HttpMessageHandler? _handler;
    private readonly TimeProvider _time;
    private readonly TimeSpan _exitBudget;
    private readonly DeliveryOptions _options;

    // Cancelled on Dispose only: an exit that runs out of budget leaves the upload running until the process ends.
    // Made (under the gate) by the first upload in process: most short runs start none, and a source made and
    // cancelled at exit loaded the cancellation's types and callbacks for each of them.
    private CancellationTokenSource? _stopping;
    private readonly object _gate = new();
    private Task _running = Task.CompletedTask;

    // Built for the first request: most short runs send nothing, and loading and building the HTTP stack
    // would cost each of them several milliseconds.
    private HttpClient? _http;
    private bool _busy;
    private bool _again;
    private int _disposing;
    private bool _disposed;

    // Events this process spooled, and how many of them an upload in process had spooled when it last emptied the
    // spool: at exit, the difference is what is left to hand off. Written on the pipeline's writer and the upload.
    private long _written;
    private long _sentThrough;

    /// <summary>
    /// Builds delivery for <paramref name="product"/>; checks everything a wrong build could get wrong. An address the
    /// build checked already (the compiled manifest's; <c>endpointChecked</c>) is not parsed until an upload in process
    /// needs its batch URL.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The endpoint is not https (or plain http on loopback), the key is empty or not a header value, or an
    /// option is out of range. Thrown here, when the client is built, never later.
    /// </exception>
    public EventDelivery(
        CandorHome home,
        string product,
        string endpoint,
        string ingestionKey,
        DeliveryOptions? options = null,
        IFileSystem? files = null,
        TimeProvider? time = null,
        HttpMessageHandler? handler = null,
        IUploaderStarter? starter = null,
        bool endpointChecked = false)
    {
        ArgumentNullException.ThrowIfNull(home);
        ArgumentException.ThrowIfNullOrEmpty(product);
        if (!endpointChecked)
        {
            DeliveryEndpoint.Check(endpoint);
        }

        CheckKey(ingestionKey);
        var checkedOptions = (options ?? DeliveryOptions.CheckedDefaults()).Validated();
        files ??= PhysicalFileSystem.Instance;
        _time = time ?? TimeProvider.System;
        _exitBudget = checkedOptions.ExitBudget;
        _options = checkedOptions;
        Counters = new DeliveryCounters();
        _home = home;
        _product = product;
        _files = files;
        _requests = new UploadRequests(home, files);
        _starter = starter ?? UploaderProcess.Instance;
        var state = new DeliveryStateStore(home.DeliveryState(product), files);
        Spool = new Spool(home, product, files, _time, checkedOptions, Counters, () => state.Load().Failures > 0);
        _handler = handler;
        _uploader = new Uploader(home, product, endpoint, ingestionKey, Http, Spool, checkedOptions, files, _time, Counters);
    }

    /// <summary>The product's spool: the client writes each serialized event here.</summary>
    public Spool Spool { get; }

    /// <summary>What delivery dropped or the collector refused in this process, by reason.</summary>
    public DeliveryCounters Counters { get; }

    /// <summary>Whether this process has built its HTTP client, which only a request does.</summary>
    internal bool HasHttpClient
    {
        get
        {
            lock (_gate)
            {
                return _http is not null;
            }
        }
    }

    /// <summary>Whether an upload runs in this process now.</summary>
    public bool IsUploading
    {
        get
        {
            lock (_gate)
            {
                return _busy;
            }
        }
    }

    /// <summary>
    /// Starts an upload in the background and returns at once. If one is already running, it runs once more
    /// when done, so events spooled meanwhile are not left for a later run. Never throws, never blocks.
    /// </summary>
    public void StartUpload()
    {
        lock (_gate)
        {
            // Refused from the start of Dispose, which then finds any source made before it (see Dispose).
            if (_disposed || Volatile.Read(ref _disposing) == 1)
            {
                return;
            }

            if (_busy)
            {
                _again = true;
                return;
            }

            _stopping ??= new CancellationTokenSource();
            _busy = true;
            _running = Task.Run(RunAsync);
        }
    }

    /// <summary>
    /// Uploads now and returns what the collector said (for <c>candor send</c>, where someone waits for the answer);
    /// <see cref="UploadStatus.Busy"/> when another uploader holds the home's lock. Never throws.
    /// </summary>
    public async Task<UploadResult> UploadNowAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _uploader.UploadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Counters.Failed("upload-crashed: " + e.GetType().Name);
            return new UploadResult(UploadStatus.Failed);
        }
    }

    /// <summary>
    /// The detached uploader's send: the spool, batch after batch, with the caller holding the home's upload lock
    /// (see <see cref="Uploader.SendPendingAsync"/>). Never throws for a network or file-system failure.
    /// </summary>
    public Task<UploadResult> SendPendingAsync(CancellationToken cancellationToken) => _uploader.SendPendingAsync(cancellationToken);

    /// <summary>When the wait after the last failed upload ends, or null when the last one did not fail.</summary>
    public DateTimeOffset? NextAttempt() => _uploader.NextAttempt();

    /// <summary>Counts an event this process spooled; called on the pipeline's writer.</summary>
    public void NoteWritten() => Interlocked.Increment(ref _written);

    /// <summary>
    /// At exit, once no upload in process runs or the budget for it is spent: asks the detached uploader to send what
    /// this run left in the spool, and starts one unless one is at work already. While an earlier failure's wait
    /// runs, or when no uploader can be started, it applies the spool's bounds instead and leaves the events for a
    /// later run. Lists nothing and writes one empty file in the usual case. Never throws, never waits.
    /// </summary>
    /// <param name="uploadInFlight">An upload in process did not finish: the uploader waits for this process's lock.</param>
    /// <returns>Whether an uploader was started or one at work will send the events.</returns>
    public bool HandOff(bool uploadInFlight)
    {
        if (!uploadInFlight && Interlocked.Read(ref _sentThrough) >= Interlocked.Read(ref _written))
        {
            return true;
        }

        if (_options.DetachedUpload && !_uploader.MustWait() && _requests.Add(_product))
        {
            if (uploadInFlight
                ? _starter.TryStart(_home, _options.UploaderLifetime, waitForLock: true)
                : UploaderLaunch.StartUnlessUnderWay(_home, _files, _time, _starter, _options.UploaderLifetime))
            {
                return true;
            }

            Counters.Failed("uploader-unavailable");
        }

        // Nobody sends now: keep the spool within its bounds until a later run does.
        Spool.TrimIfDue();
        return false;
    }

    /// <summary>
    /// At exit: returns true at once, without waiting for anything, when no upload is in flight; otherwise
    /// waits for it at most <paramref name="budget"/> (default <see cref="DeliveryOptions.ExitBudget"/>) and
    /// returns whether it finished. Does not cancel the upload: a process that exits ends it, and what it did
    /// not send stays spooled. Never throws; a cancelled <paramref name="cancellationToken"/> returns false.
    /// </summary>
    public Task<bool> DrainAsync(TimeSpan? budget = null, CancellationToken cancellationToken = default)
    {
        Task running;
        lock (_gate)
        {
            if (!_busy)
            {
                return Task.FromResult(true);
            }

            running = _running;
        }

        var wait = budget ?? _exitBudget;
        return wait <= TimeSpan.Zero ? Task.FromResult(running.IsCompleted) : WaitAsync(running, wait, cancellationToken);
    }

    /// <summary>Cancels an upload in flight (its files stay spooled) and releases the HTTP client. Does not wait.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposing, 1) == 1)
        {
            return;
        }

        // Cancelled before _disposed is set, so an upload that finds it set (see Http) is already cancelled. Read
        // under the gate after _disposing is set: an upload started before that has made its source, one after is refused.
        CancellationTokenSource? stopping;
        lock (_gate)
        {
            stopping = _stopping;
        }

        stopping?.Cancel();
        HttpClient? http;
        lock (_gate)
        {
            _disposed = true;
            http = _http;
        }

        // The running upload sees the cancellation and ends; disposing the client under it is safe because
        // every call it makes observes the token or fails with an exception the upload already handles.
        http?.Dispose();
        stopping?.Dispose();
    }

    private async Task<bool> WaitAsync(Task running, TimeSpan budget, CancellationToken cancellationToken)
    {
        try
        {
            await running.WaitAsync(budget, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                var through = Interlocked.Read(ref _written);
                var result = await _uploader.UploadAsync(_stopping!.Token).ConfigureAwait(false);
                AfterUpload(result, through);
            }
            catch (Exception e)
            {
                // The SDK never throws into the tool: this is the one place an upload's surprise is caught.
                Counters.Failed("upload-crashed: " + e.GetType().Name);
            }

            lock (_gate)
            {
                if (!_again || _disposed)
                {
                    _busy = false;
                    return;
                }

                _again = false;
            }
        }
    }

    private void AfterUpload(UploadResult result, long through)
    {
        switch (result.Status)
        {
            case UploadStatus.Delivered or UploadStatus.NothingToSend:
                Interlocked.Exchange(ref _sentThrough, through);
                break;
            case UploadStatus.Failed:
                // No point in running again at once: the retry wait has just been set.
                lock (_gate)
                {
                    _again = false;
                }

                return;
            case UploadStatus.Busy:
                // Another uploader of the home is at work: it takes this product's events too, when it sees the request.
                _requests.Add(_product);
                return;
        }

        // This upload held the home's lock: runs that found it held left their requests to it. The detached uploader
        // takes them, unless this process is ending (its exit hands off) or another uploader took the lock meanwhile.
        if (!IsDisposed() && _requests.Pending().Count > 0)
        {
            UploaderLaunch.StartUnlessUnderWay(_home, _files, _time, _starter, _options.UploaderLifetime);
        }
    }

    private bool IsDisposed()
    {
        lock (_gate)
        {
            return _disposed;
        }
    }

    /// <summary>The HTTP client, built for the first request.</summary>
    /// <exception cref="OperationCanceledException">Disposed: the upload's token is cancelled, and it ends as cancelled.</exception>
    private HttpClient Http()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                throw new OperationCanceledException("Delivery was disposed.");
            }

            return _http ??= DeliveryHttp.Create(_options, _handler);
        }
    }

    /// <summary>Refuses a key that is empty or not visible ASCII (it goes into a header).</summary>
    /// <exception cref="ArgumentException">The key is empty or has other characters.</exception>
    internal static void CheckKey(string ingestionKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(ingestionKey);
        foreach (var c in ingestionKey)
        {
            // A header value: visible ASCII only, so a key can never split or forge a header.
            if (c is < '!' or > '~')
            {
                throw new ArgumentException("The Candor ingestion key must be visible ASCII characters only (no spaces or line breaks).", nameof(ingestionKey));
            }
        }
    }
}
