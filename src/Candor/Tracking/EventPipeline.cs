using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Candor.Consent;
using Candor.Diagnostics;
using Candor.Manifest;
using Candor.Sinks;

namespace Candor.Tracking;

/// <summary>
/// From <see cref="TelemetryEvent"/> to the sinks: a bounded queue with one background writer that
/// serialises each event once and hands the bytes to every sink. The tracking side takes no lock,
/// never waits and rarely wakes the writer (<see cref="EventQueue"/>): a full queue drops the event and counts it.
/// </summary>
/// <remarks>
/// The writer is a thread of its own that blocks while it waits, not a task on the thread pool: a short run of a
/// tool then starts no thread pool and compiles no asynchronous state machines. It first builds the sinks and the
/// stamp and writes what the tool tracked meanwhile (while the tool works, not at its exit), then lingers before its
/// next batch instead of waiting for each event, and <see cref="Complete"/> writes on the exiting thread whatever the
/// writer has not taken yet: a tool that tracks a few events and exits hands nothing to another thread and waits
/// for no other thread to be scheduled, which on a busy machine costs more than the writing itself (see
/// docs/benchmarks.md, "SDK: exit time"). The queue has one reader at a time: whoever holds <c>_reading</c>: the
/// writer thread, <see cref="Complete"/>, or a thread in <see cref="Flush"/> that took the queue over.
/// </remarks>
// Complete (or the writer thread, when it finishes) disposes the writer: a pipeline ends with Complete, which the
// client calls once at exit, not with a Dispose of its own.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Complete disposes the writer.")]
internal sealed partial class EventPipeline
{
    // How long the writer stays awake after a batch before it parks: a hot loop wakes it once per linger at most.
    private static readonly TimeSpan DefaultLinger = TimeSpan.FromMilliseconds(50);

    private readonly TimeSpan _linger;

    private readonly TelemetryManifest _manifest;
    private readonly EventQueue _queue;
    private readonly EventPool _pool;
    private readonly TimeProvider _time;
    private readonly Lazy<EventStamp> _stamp;
    private readonly TelemetryLevel _builtLevel;
    private readonly Writer? _writer;

    // Set once the writer's first wait ends without the run having ended: the sinks' long run (the spool's uploads
    // in process, whose timer starts the runtime's timer thread) and the client's own (its trace source) start
    // then, on the writer, so a short run never pays for them.
    private int _longRun;
    private readonly Action? _onLongRun;

    // Completed when the writer has stopped, or at once when there is none (a pipeline built off).
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Completed when the writer has made the sinks and the stamp and written what was tracked meanwhile, or has stopped.
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Whoever waits in Flush; released as the reader passes their position, and for good when the writer stops.
    private readonly FlushWaiters _flushes = new();

    // A plain field read first on every Track, so "off" costs one load and a compare (Serilog's _minimumLevel).
    private volatile int _level;

    // Set once by Complete; whoever reads the queue next writes what it holds and finishes the pipeline.
    private volatile bool _completed;

    // Who reads the queue: nobody (Free), the writer thread or Complete (Writing; whoever finishes the pipeline keeps
    // it), or a thread in Flush that took it over (Flushing, released when its events are written).
    private int _reading;
    private const int Free = 0;
    private const int Writing = 1;
    private const int Flushing = 2;

    // Set by a thread in Flush that asks the writer thread to hand the queue over after its current event.
    private volatile int _handover;

    // How long a flush waits for the queue, in rounds of Thread.SpinWait, before it blocks instead (a few microseconds:
    // a writer thread that runs hands over within one event; one that is descheduled or in a slow sink is waited for).
    private const int HandoverRounds = 64;
    private const int HandoverSpin = 10;

    public EventPipeline(
        TelemetryManifest manifest,
        TelemetryLevel level,
        Func<EventStamp> stampFactory,
        SinkSet sinks,
        TimeProvider time,
        DropCounters drops,
        int capacity,
        TimeSpan? linger = null,
        Action? onLongRun = null)
    {
        _linger = linger ?? DefaultLinger;
        _manifest = manifest;
        _level = (int)level;
        _builtLevel = level;
        _stamp = new Lazy<EventStamp>(stampFactory, LazyThreadSafetyMode.ExecutionAndPublication);
        Sinks = sinks;
        _time = time;
        Drops = drops;
        _queue = new EventQueue(capacity);
        _pool = new EventPool();
        if (level == TelemetryLevel.Off)
        {
            _started.SetResult();
            _stopped.SetResult();
            _flushes.Stop();
            return;
        }

        _onLongRun = onLongRun;
        _writer = new Writer(this);

        // A background thread never keeps the tool alive; Complete waits for it, within its bound. Started without
        // waiting for it to run (BackgroundThread): Complete writes on the exiting thread when it has not yet.
        BackgroundThread.Start(Run, "Candor writer");
    }

    public DropCounters Drops { get; }

    /// <summary>The sinks this pipeline writes to; the client drains and stops them at exit, after <see cref="Complete"/>.</summary>
    public SinkSet Sinks { get; }

    public TelemetryLevel Level => (TelemetryLevel)_level;

    /// <summary>Completes once the writer has started: made the sinks and the stamp, and written what was tracked meanwhile.</summary>
    internal Task Started => _started.Task;

    /// <summary>
    /// The program's switch (<see cref="CandorTelemetry"/>): off stops recording at once, even for events already
    /// begun; on restores the level the pipeline was built with. It never rises above that level, so a
    /// pipeline built off stays off and no reader ever needs starting.
    /// </summary>
    public void Switch(bool disabled) => _level = disabled ? (int)TelemetryLevel.Off : (int)_builtLevel;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TelemetryEvent Begin(string name) => _level == (int)TelemetryLevel.Off ? default : BeginRecording(name);

    private TelemetryEvent BeginRecording(string name)
    {
        // A switch to off after the check in Begin is honoured by Enqueue.
        var level = _level;
        var definition = name is null ? null : _manifest.Lookup(name);
        if (definition is null)
        {
            Drops.Add(DropReason.UndeclaredEvent);
            return default;
        }

        if (level == (int)TelemetryLevel.Errors && definition.Level != Manifest.EventLevel.Error)
        {
            return default;
        }

        var pending = _pool.Rent();
        pending.Start(definition, _time.GetUtcNow());
        return new TelemetryEvent(this, pending);
    }

    public void Enqueue(PendingEvent pending)
    {
        // The level may have dropped to off since Begin (a Disable call): honour it for this event too.
        if (_level == (int)TelemetryLevel.Off)
        {
            _pool.Return(pending);
            return;
        }

        if (CandorTrace.TracesEvents)
        {
            Trace(pending);
        }

        if (_completed || !_queue.TryEnqueue(pending))
        {
            Drops.Add(_completed ? DropReason.ShutDown : DropReason.QueueFull);
            _pool.Return(pending);
        }
    }

    // A trace listener gets the event on the tracking thread, as the event is tracked, the way platform trace
    // providers work; the writer could be too late: a process that exits tears its trace sessions down before
    // the exit flush runs. The JSON made here is the one the writer hands to the sinks, so it is made once.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Trace(PendingEvent pending)
    {
        if (CandorTrace.Source is not { } source)
        {
            return;
        }

        try
        {
            var stamp = _stamp.Value;
            pending.AssignId();
            using var serializer = new EventSerializer(Drops);
            pending.Json = serializer.Write(pending, stamp).ToArray();
            source.EventTracked(stamp.Product, pending.Definition!.Name, Encoding.UTF8.GetString(pending.Json.Span));
        }
        catch (Exception ex)
        {
            pending.Json = default;
            SelfLog.Failure("tracing an event", ex);
        }
    }

    /// <summary>
    /// Blocks until every event tracked before the call has been handed to the sinks, at most <paramref name="timeout"/>;
    /// returns whether it got there. Waits for the reader to pass the queue's position at the call rather than for a
    /// marker to travel through the queue: it needs no room in the queue, allocates nothing, and starts no pool thread.
    /// </summary>
    /// <remarks>
    /// The caller writes the events itself when it can take the queue within a few microseconds: at once when the
    /// writer thread is idle, or after the event it is writing, which it hands over on request. Blocking until the
    /// writer thread woke it again cost both threads two to four context switches (the waker held the runtime's lock
    /// around the wake, and the woken thread then waited for it), more CPU per event, in a tool that flushes after a
    /// burst, than checking and serialising the events left. The work is the same on either thread, and the caller
    /// would be waiting for it anyway. A caller that writes stops at <paramref name="timeout"/>, after the event in
    /// hand, and leaves the rest to the writer thread.
    /// </remarks>
    public bool Flush(TimeSpan timeout)
    {
        var target = _queue.Claimed;
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        if (TryWriteHere(target, deadline) is { } written)
        {
            return written;
        }

        _queue.Wake();
        return _flushes.Wait(target, timeout);
    }

    /// <summary>Completes when every event tracked before the call has been handed to the sinks (true), or <paramref name="cancellationToken"/> fires (false).</summary>
    public Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var target = _queue.Claimed;
        _queue.Wake();
        return _flushes.WaitAsync(target, cancellationToken);
    }

    // Takes the queue from the writer thread (or an idle queue) and writes the events up to target on this thread
    // until the deadline: whether they are all written, or null when the queue was not handed over in time (the
    // caller then waits).
    private bool? TryWriteHere(long target, long deadline)
    {
        if (_writer is null)
        {
            return null;
        }

        var taken = false;
        _handover = 1;
        for (var round = 0; round < HandoverRounds && !_flushes.Passed(target); round++)
        {
            if (Interlocked.CompareExchange(ref _reading, Flushing, Free) == Free)
            {
                taken = true;
                break;
            }

            Thread.SpinWait(HandoverSpin);
        }

        _handover = 0;
        if (!taken)
        {
            return _flushes.Passed(target) ? true : null;
        }

        try
        {
            _writer.WriteUpTo(target, deadline);
        }
        finally
        {
            // A full fence: Complete, which finds the queue taken and waits for the writer thread, sets _completed before
            // it tries. Events tracked meanwhile (by other threads) are the writer thread's again: it is woken for them.
            Interlocked.Exchange(ref _reading, Free);
            if (_completed || _queue.Claimed != _queue.Taken)
            {
                _queue.Wake();
            }
        }

        return _flushes.Passed(target);
    }

    /// <summary>
    /// Stops accepting events and writes the queued ones: on the calling thread when the writer is not busy, or else
    /// by waiting for the writer, at most <paramref name="bound"/>. Returns whether everything was written.
    /// Blocks the caller; called once, at exit.
    /// </summary>
    public bool Complete(TimeSpan bound)
    {
        _completed = true;
        if (_writer is null || _stopped.Task.IsCompleted)
        {
            return true;
        }

        if (Interlocked.CompareExchange(ref _reading, Writing, Free) == Free)
        {
            // Kept for good: the writer thread finds the queue taken when it wakes, and ends.
            try
            {
                _writer.WriteQueued();
            }
            finally
            {
                Finish();
            }

            _queue.Wake();
            return true;
        }

        _queue.Wake();
        return _stopped.Task.Wait(bound);
    }

    private void Run()
    {
        try
        {
            // Before any event, and without taking the queue, so Complete can still write the events on the exiting
            // thread meanwhile: the sinks and the stamp (the machine context above all) are made while the tool works,
            // so an exit that writes only serializes.
            Sinks.Prepare();
            PrepareStamp();

            // What the tool tracked meanwhile is written now, while it works, rather than by its exit.
            var finished = WritePass() is null;
            _started.TrySetResult();
            if (finished)
            {
                return;
            }

            // The first wait lingers instead of parking, so the first events do not wake the writer (see remarks).
            var wait = _linger;
            while (true)
            {
                _queue.Wait(wait);

                // The run outlived the writer's first wait without ending: whatever only a long run needs starts now,
                // before the queue is taken, so an exit meanwhile still writes on its own thread, and before this
                // thread writes again, so what the start allocates is behind it (a flush may write the next events).
                if (_longRun == 0 && !_completed)
                {
                    StartLongRun();
                }

                if (WritePass() is not { } written)
                {
                    return;
                }

                // After a batch the writer lingers awake, so a tool tracking in a loop does not wake it per event;
                // a linger that brought nothing parks it until the next event.
                wait = written > 0 ? _linger : Timeout.InfiniteTimeSpan;
            }
        }
        catch (Exception ex)
        {
            // Nothing may escape a thread of the tool's process; Complete must not wait for a writer that is gone.
            SelfLog.Failure("running the event writer", ex);
            _started.TrySetResult();
            _stopped.TrySetResult();
            _flushes.Stop();
        }
    }

    // One pass of the writer over the queue: how many events it wrote, or null once the pipeline is finished (by this
    // pass, or by Complete, which took the queue for good). A flush that holds the queue writes on its own thread and
    // wakes this one when it leaves events behind or the run ends: counted as a batch, so the writer lingers.
    private int? WritePass()
    {
        var holder = Interlocked.CompareExchange(ref _reading, Writing, Free);
        if (holder == Writing)
        {
            return null;
        }

        if (holder == Flushing)
        {
            return 1;
        }

        // Read before writing: every event queued before Complete is written in this pass, none handed over.
        var completed = _completed;
        var written = _writer!.WriteQueued(yieldToFlush: !completed);
        if (completed)
        {
            Finish();
            return null;
        }

        Volatile.Write(ref _reading, Free);
        return written;
    }

    private void PrepareStamp()
    {
        try
        {
            _ = _stamp.Value;
        }
        catch (Exception ex)
        {
            // Thrown again to each write, which drops its event and counts it.
            SelfLog.Failure("preparing the event stamp", ex);
        }
    }

    // Once, on the writer (the only thread that calls it); a failure is logged, never thrown.
    private void StartLongRun()
    {
        _longRun = 1;

        // Event IDs from the generator, and written by the formatter, that are cheaper per event but costly to load;
        // and events reused rather than made for each.
        _writer!.StartLongRun();
        _pool.Start();
        Sinks.OnLongRun();
        try
        {
            _onLongRun?.Invoke();
        }
        catch (Exception ex)
        {
            SelfLog.Failure("starting the long run", ex);
        }
    }

    private void Finish()
    {
        _writer!.Dispose();
        _stopped.TrySetResult();
        _flushes.Stop();
    }
}
