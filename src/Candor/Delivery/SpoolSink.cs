using Candor.Manifest;
using Candor.Tracking;

namespace Candor.Delivery;

/// <summary>
/// Hands each written event to the spool and decides when to upload: at start-up and every so often when
/// enough waits (see <see cref="DeliveryOptions.UploadAtEvents"/>), after every
/// <see cref="DeliveryOptions.UploadAtEvents"/> events in this process, and, in a long-running process, every
/// <see cref="DeliveryOptions.UploadAfter"/>. A short run that tracks a few events therefore usually starts no
/// upload and waits for nothing at exit; its events go with a later run.
/// </summary>
internal sealed class SpoolSink : IEventSink, IDisposable
{
    private readonly EventDelivery _delivery;
    private readonly DropCounters _drops;
    private readonly int _uploadAtEvents;
    private readonly TimeSpan _checkEvery;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private ITimer? _timer;
    private bool _disposed;
    private int _sinceUpload;

    public SpoolSink(EventDelivery delivery, DropCounters drops, DeliveryOptions options, TimeProvider time)
    {
        _delivery = delivery;
        _drops = drops;
        _uploadAtEvents = options.UploadAtEvents;
        _checkEvery = options.UploadAfter;
        _time = time;
    }

    /// <summary>
    /// Checks the spool and starts an upload in the background if enough waits. Call it once, off the tool's thread
    /// (the pipeline's writer does as it starts, or the exit when the tool was done before that thread ran).
    /// </summary>
    public void Start() => _delivery.StartUploadIfDue();

    /// <summary>
    /// Checks the spool again every <see cref="DeliveryOptions.UploadAfter"/>, because other processes send and
    /// spool too. The pipeline's writer calls it once the run has outlived its first wait.
    /// </summary>
    /// <remarks>
    /// The timer is made here, not in <see cref="Start"/>: its first use starts the runtime's timer thread, a few
    /// milliseconds of CPU that a short run, which never lives to see it fire, would spend while the tool exits.
    /// </remarks>
    public void KeepChecking()
    {
        if (_checkEvery <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            // Dispose may have run meanwhile, on the tool's thread: a timer made after it would never be stopped.
            if (!_disposed)
            {
                _timer ??= _time.CreateTimer(static state => ((EventDelivery)state!).StartUploadIfDue(remeasure: true), _delivery, _checkEvery, _checkEvery);
            }
        }
    }

    public void Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
    {
        if (!_delivery.Spool.TryWrite(id, json.Span))
        {
            _drops.Add(DropReason.SpoolFull);
            return;
        }

        // Called on the pipeline's one writer, so a plain counter is enough.
        if (++_sinceUpload >= _uploadAtEvents)
        {
            _sinceUpload = 0;
            _delivery.StartUpload();
        }
    }

    /// <summary>At exit: waits only for an upload in flight, at most <paramref name="budget"/>.</summary>
    public Task<bool> DrainAsync(TimeSpan budget) => _delivery.DrainAsync(budget < TimeSpan.Zero ? TimeSpan.Zero : budget);

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
        }

        _delivery.Dispose();
    }
}
