using Candor.Delivery;
using Candor.Manifest;

namespace Candor.Sinks;

/// <summary>
/// Hands each written event to the spool. A short run uploads nothing itself: its exit hands the events to the
/// detached uploader (<see cref="EventDelivery.HandOff"/>), so the tool waits for no request. A run that outlives
/// its first events (a long-running host) uploads in process instead, <see cref="DeliveryOptions.UploadDelay"/>
/// after an event, so a burst goes in one request. Its lifecycle: <see cref="KeepUploading"/> when the run proves
/// long, <see cref="Drain"/> at exit, and <see cref="Dispose"/> (its stop) to end an upload that outlived the budget.
/// </summary>
internal sealed class SpoolSink : IEventSink, IDisposable
{
    private readonly EventDelivery _delivery;
    private readonly TimeSpan _delay;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private ITimer? _timer;
    private bool _disposed;
    private bool _scheduled;

    // Set once the run has proved long; read on every write, so a plain volatile field.
    private volatile bool _longRun;

    public SpoolSink(EventDelivery delivery, DeliveryOptions options, TimeProvider time)
    {
        _delivery = delivery;
        _delay = options.UploadDelay;
        _time = time;
    }

    /// <summary>
    /// From now on, uploads in process: at once for what this run spooled so far, and after each further event. The
    /// pipeline's writer calls it once the run has outlived its first wait.
    /// </summary>
    /// <remarks>
    /// A short run never gets here: its first use of a timer would start the runtime's timer thread, a few milliseconds
    /// of CPU while the tool exits.
    /// </remarks>
    public void KeepUploading()
    {
        _longRun = true;
        Schedule();
    }

    /// <summary>Spools the event; false when the spool has no room for it (the pipeline counts the drop).</summary>
    public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
    {
        if (!_delivery.Spool.TryWrite(id, json.Span))
        {
            return false;
        }

        _delivery.NoteWritten();
        if (_longRun)
        {
            Schedule();
        }

        return true;
    }

    void IEventSink.OnLongRun() => KeepUploading();

    void IEventSink.Stop() => Dispose();

    /// <summary>
    /// At exit: waits only for an upload in flight, at most <paramref name="budget"/>, then hands what is left to the
    /// detached uploader. Returns whether everything this run spooled is sent or in an uploader's hands.
    /// </summary>
    public bool Drain(TimeSpan budget)
    {
        // A short run uploads nothing in process: nothing to wait for, and no task made to say so (the run's first
        // awaited task costs its exit a few tenths of a millisecond).
        var finished = !_delivery.IsUploading
            || _delivery.DrainAsync(budget < TimeSpan.Zero ? TimeSpan.Zero : budget).GetAwaiter().GetResult();
        return _delivery.HandOff(uploadInFlight: !finished) && finished;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
        }

        _delivery.Dispose();
    }

    private void Schedule()
    {
        lock (_gate)
        {
            // Dispose may have run meanwhile, on the tool's thread: a timer made after it would never be stopped.
            if (_disposed || _scheduled)
            {
                return;
            }

            _scheduled = true;
            _timer ??= _time.CreateTimer(static state => ((SpoolSink)state!).Upload(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(_delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Upload()
    {
        lock (_gate)
        {
            _scheduled = false;
        }

        // An upload already running goes once more when done, so events spooled meanwhile are not left behind.
        _delivery.StartUpload();
    }
}
