using System.Diagnostics;
using System.Runtime.CompilerServices;
using Candor.Consent;
using Candor.Delivery;
using Candor.Diagnostics;
using Candor.Manifest;
using Candor.Testing;
using Candor.Tracking;

namespace Candor;

/// <summary>
/// A product's telemetry client: decides once, when it is built, whether and how much it may collect, then
/// records declared events cheaply. It never throws into the tool after it is built, never blocks on the
/// network, and with telemetry off does no work at all.
/// </summary>
/// <remarks>
/// Build one per product per process with <see cref="Create"/> and dispose it when the tool exits; disposing
/// writes what is queued to the local spool, waits for an upload only if one is already in flight, and then no
/// longer than <see cref="DeliveryOptions.ExitBudget"/>, and hands what is left to the detached uploader, which
/// sends it after the tool has exited (<see cref="DeliveryOptions.DetachedUpload"/>).
/// </remarks>
public sealed class CandorClient : IDisposable, IAsyncDisposable
{
    private static readonly TimeSpan WriteBudget = TimeSpan.FromSeconds(2);

    // Null when the client was built off: a pipeline's queue, pool and their types cost an off run for nothing.
    private readonly EventPipeline? _pipeline;
    private readonly ClientSetup _setup;
    private readonly TimeSpan _exitBudget;
    private readonly object _gate = new();
    private bool? _shutdown;

    private CandorClient(ClientSetup setup, EventPipeline? pipeline)
    {
        _setup = setup;
        _pipeline = pipeline;
        if (pipeline is null)
        {
            // Built off, it stays off whatever the program switches, and has nothing to write at exit (nor a budget
            // to do it in).
            return;
        }

        _exitBudget = setup.Delivery.ExitBudget;

        ProgramSwitch.Changed += OnProgramSwitch;

        // A tool that forgets to dispose still gets its events spooled.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The checked manifest this client follows.</summary>
    public TelemetryManifest Manifest => _setup.Manifest;

    /// <summary>The effective level and the source that decided it, as <c>telemetry status</c> shows it.</summary>
    public ConsentDecision Consent => _setup.Decision;

    /// <summary>The level this client records at now: off while <see cref="CandorTelemetry.Disable(string?)"/> holds for its product, never above the level it was built with.</summary>
    public TelemetryLevel Level => _pipeline?.Level ?? TelemetryLevel.Off;

    /// <summary>Whether any event can be recorded by this client.</summary>
    public bool IsEnabled => Level != TelemetryLevel.Off;

    /// <summary>Whether this run must show the first-run disclosure (and so sends nothing).</summary>
    public bool DisclosurePending => _setup.DisclosurePending;

    /// <summary>Counts of what was dropped, by reason: undeclared events and properties, invalid values, a full queue or spool.</summary>
    public IReadOnlyDictionary<DropReason, long> Dropped => _setup.Drops.Snapshot();

    /// <summary>Builds a client from the tool's options.</summary>
    /// <exception cref="ManifestException">The manifest is missing or wrong. This is the only time Candor throws.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent (an endpoint that is not HTTPS or loopback, say).</exception>
    public static CandorClient Create(CandorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Start(ClientSetup.ForProcess(options), options);
    }

    /// <summary>
    /// Builds a client for a tool's own tests: events go only to <paramref name="sink"/>, nothing is written to
    /// disk or uploaded, the disclosure counts as shown, and consent is resolved from
    /// <paramref name="environment"/> (not the process's variables), so a test can check its opt-outs too.
    /// </summary>
    /// <remarks>
    /// Consent is resolved as in a real run, by the same code, on a Candor home held in memory (its settings empty, its
    /// identity new) and on <paramref name="environment"/>'s variables alone: what the test sees is what users get.
    /// </remarks>
    /// <exception cref="ManifestException">The manifest is wrong.</exception>
    public static CandorClient CreateForTesting(
        TelemetryManifest manifest,
        InMemorySink sink,
        IReadOnlyDictionary<string, string>? environment = null,
        CandorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(sink);
        options ??= new CandorOptions();
        options.Manifest = manifest;
        return Start(ClientSetup.ForTesting(options, sink, environment ?? new Dictionary<string, string>()), options);
    }

    /// <summary>Starts an event. Chain <c>With</c> calls for its properties, then call <see cref="TelemetryEvent.Track"/>.</summary>
    /// <remarks>Never throws or blocks; an undeclared name yields an empty builder and is counted.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent Event(string name) => _pipeline is { } pipeline ? pipeline.Begin(name) : default;

    /// <summary>Tracks an event that has no properties.</summary>
    public void Track(string name) => Event(name).Track();

    /// <summary>
    /// Shows the first-run disclosure that <see cref="CandorOptions.DeferDisclosure"/> held back, on stderr (or
    /// <see cref="CandorOptions.DisclosureWriter"/>), and records that it was shown, so the next run collects.
    /// Returns whether it was shown. Never throws.
    /// </summary>
    public bool ShowDisclosureIfNeeded() => _setup.ShowDisclosure();

    /// <summary>Waits until every event tracked so far is written to the spool (or the sinks), at most <paramref name="timeout"/>. Returns whether it finished.</summary>
    /// <remarks>Blocks the caller; does not upload.</remarks>
    public bool Flush(TimeSpan timeout)
    {
        try
        {
            return _pipeline is null || _pipeline.Flush(timeout);
        }
        catch (Exception ex)
        {
            SelfLog.Failure("flushing", ex);
            return false;
        }
    }

    /// <summary>Waits until every event tracked so far is written, or <paramref name="cancellationToken"/> fires. Returns whether it finished.</summary>
    public Task<bool> FlushAsync(CancellationToken cancellationToken = default) => _pipeline?.FlushAsync(cancellationToken) ?? Task.FromResult(true);

    /// <summary>
    /// Stops the client on the calling thread, blocking until it is done: writes what is queued to the local spool
    /// (local work: on the calling thread when the writer is idle, else by waiting for the writer at most two
    /// seconds), then waits for an upload only if one is in flight, at most until <paramref name="budget"/> has
    /// passed since the call, and starts the detached uploader for what is left (it does not wait for it). Runs
    /// once; later calls return the first call's result. Returns whether everything was written and is sent or in
    /// an uploader's hands.
    /// </summary>
    /// <remarks>
    /// It does not yield the thread: at exit there is nothing else for the thread to do, and staying on it is what
    /// lets a short run exit without starting the thread pool.
    /// </remarks>
    public bool Shutdown(TimeSpan budget)
    {
        if (_pipeline is null)
        {
            // Built off: nothing was queued, nothing is uploaded, nothing was subscribed to.
            return true;
        }

        // Later and concurrent calls get the first call's result, once it has finished.
        lock (_gate)
        {
            return _shutdown ??= ShutdownOnce(budget);
        }
    }

    /// <summary>
    /// <see cref="Shutdown(TimeSpan)"/> for callers that await: it blocks the calling thread just as
    /// <see cref="Shutdown(TimeSpan)"/> does, and returns a task that has already completed with its result.
    /// </summary>
    public Task<bool> ShutdownAsync(TimeSpan budget) => Task.FromResult(Shutdown(budget));

    /// <summary>Shuts down within <see cref="DeliveryOptions.ExitBudget"/> (see <see cref="Shutdown(TimeSpan)"/>).</summary>
    public void Dispose() => Shutdown(_exitBudget);

    /// <summary>Shuts down within <see cref="DeliveryOptions.ExitBudget"/> (see <see cref="Shutdown(TimeSpan)"/>); blocks, then returns a completed task.</summary>
    public ValueTask DisposeAsync()
    {
        Shutdown(_exitBudget);
        return ValueTask.CompletedTask;
    }

    /// <summary>Starts a client on a resolved setup: a real run's (<see cref="Create"/>) or a tool's tests' (<see cref="CreateForTesting"/>).</summary>
    internal static CandorClient Start(ClientSetup setup, CandorOptions options)
    {
        var pipeline = setup.RecordingLevel == TelemetryLevel.Off ? null : StartPipeline(setup, options);
        setup.TraceConsent();
        return new CandorClient(setup, pipeline);
    }

    // Apart from Start: the pipeline's types are loaded when a method naming them is first called, and a run that is
    // off never needs them.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static EventPipeline StartPipeline(ClientSetup setup, CandorOptions options) => new(
        setup.Manifest,
        setup.RecordingLevel,
        setup.CreateStamp,
        setup.Sinks!,
        options.TimeProvider,
        setup.Drops,
        Math.Max(16, options.QueueCapacity),
        onLongRun: setup.OnLongRun);

    private bool ShutdownOnce(TimeSpan budget)
    {
        var pipeline = _pipeline!;
        ProgramSwitch.Changed -= OnProgramSwitch;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Writing what is queued is local work the tool has to wait for, or its last events are lost. When the
            // writer is idle it is done here, in the home this client read at start; a busy writer is waited for at
            // most WriteBudget, so that a home that hangs mid-run cannot hang the tool. Only uploads spend the budget.
            var written = pipeline.Complete(budget > WriteBudget ? budget : WriteBudget);

            // The sinks drain: completed at once unless an upload is in flight, which only a long run has; the spool
            // then hands off what is left.
            var delivered = pipeline.Sinks.Drain(budget - Stopwatch.GetElapsedTime(started));
            return written && delivered;
        }
        catch (Exception ex)
        {
            SelfLog.Failure("shutting down", ex);
            return false;
        }
        finally
        {
            // Ends an upload that outlived the budget; the detached uploader sends its files once this process is gone.
            pipeline.Sinks.Stop();
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private void OnProgramSwitch() => _pipeline?.Switch(ProgramSwitch.IsDisabled(_setup.Manifest.Product));
}
