using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// Delivery for one product, as the client uses it: spool each serialized event, start an upload in the
/// background (after start-up and after tracking), and at exit wait for an upload only if one is in flight,
/// and never longer than the exit budget. Whatever is left stays spooled for a later run of any Candor tool
/// for the product.
/// </summary>
internal sealed class EventDelivery : IDisposable
{
    private readonly Uploader _uploader;
    private readonly HttpMessageHandler? _handler;
    private readonly TimeProvider _time;
    private readonly TimeSpan _exitBudget;
    private readonly DeliveryOptions _options;

    // Cancelled on Dispose only: an exit that runs out of budget leaves the upload running until the process ends.
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private Task _running = Task.CompletedTask;

    // Built for the first request: most short runs send nothing, and loading and building the HTTP stack
    // would cost each of them several milliseconds.
    private HttpClient? _http;
    private bool _busy;
    private bool _again;
    private int _disposing;
    private bool _disposed;

    /// <summary>Builds delivery for <paramref name="product"/>; checks everything a wrong build could get wrong.</summary>
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
        HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(home);
        ArgumentException.ThrowIfNullOrEmpty(product);
        var batchUri = DeliveryEndpoint.BatchUri(endpoint);
        CheckKey(ingestionKey);
        var checkedOptions = (options ?? new DeliveryOptions()).Validated();
        files ??= PhysicalFileSystem.Instance;
        _time = time ?? TimeProvider.System;
        _exitBudget = checkedOptions.ExitBudget;
        _options = checkedOptions;
        Counters = new DeliveryCounters();
        Spool = new Spool(home, product, files, _time, checkedOptions, Counters);
        _handler = handler;
        _uploader = new Uploader(home, product, batchUri, ingestionKey, Http, Spool, checkedOptions, files, _time, Counters);
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
            if (_disposed)
            {
                return;
            }

            if (_busy)
            {
                _again = true;
                return;
            }

            _busy = true;
            _running = Task.Run(RunAsync);
        }
    }

    /// <summary>
    /// Starts an upload in the background when the spool holds enough to be worth it (see
    /// <see cref="DeliveryOptions.UploadAtEvents"/> and <see cref="DeliveryOptions.UploadAfter"/>) and no
    /// earlier failure's wait is running. May list one folder (once per process, or whenever
    /// <paramref name="remeasure"/> asks) and read one small file, so call it off the tool's thread. Never throws.
    /// </summary>
    public void StartUploadIfDue(bool remeasure = false)
    {
        // The wait is checked here too, not only by the upload: while the collector is down the spool stays
        // due, and an upload started only to find it must wait would still be in flight, and waited for, if
        // the tool exits at that moment.
        if (!IsUploading && Spool.IsDue(_options.UploadAtEvents, _options.UploadAfter, remeasure) && !_uploader.MustWait())
        {
            StartUpload();
        }
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

        // Cancelled before _disposed is set, so an upload that finds it set (see Http) is already cancelled.
        _stopping.Cancel();
        HttpClient? http;
        lock (_gate)
        {
            _disposed = true;
            http = _http;
        }

        // The running upload sees the cancellation and ends; disposing the client under it is safe because
        // every call it makes observes the token or fails with an exception the upload already handles.
        http?.Dispose();
        _stopping.Dispose();
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
                var result = await _uploader.UploadAsync(_stopping.Token).ConfigureAwait(false);
                if (result.Status == UploadStatus.Failed)
                {
                    // No point in running again at once: the retry wait has just been set.
                    lock (_gate)
                    {
                        _again = false;
                    }
                }
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

    private static void CheckKey(string ingestionKey)
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
