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
    private readonly ITimer? _timer;
    private int _sinceUpload;

    public SpoolSink(EventDelivery delivery, DropCounters drops, DeliveryOptions options, TimeProvider time)
    {
        _delivery = delivery;
        _drops = drops;
        _uploadAtEvents = options.UploadAtEvents;
        if (options.UploadAfter > TimeSpan.Zero)
        {
            // Other processes send and spool too: every so often the spool is measured afresh.
            _timer = time.CreateTimer(static state => ((EventDelivery)state!).StartUploadIfDue(remeasure: true), delivery, options.UploadAfter, options.UploadAfter);
        }
    }

    /// <summary>Checks the spool and starts an upload in the background if enough waits. Call it off the tool's thread (the pipeline's writer does).</summary>
    public void Start() => _delivery.StartUploadIfDue();

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
        _timer?.Dispose();
        _delivery.Dispose();
    }
}
