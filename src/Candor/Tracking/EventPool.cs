using System.Collections.Concurrent;

namespace Candor.Tracking;

/// <summary>
/// A lock-free pool of <see cref="PendingEvent"/>s, so that a tool tracking in a loop reuses the events the writer has
/// finished with instead of allocating: the writer returns them in batches. When the pool is empty a new instance is
/// made, so tracking never waits; renting and returning allocate nothing once the pool has grown.
/// </summary>
/// <remarks>
/// The pool needs no bound of its own: an event is made only when the pool is empty, so it never holds more events than
/// were out at once (the queue's capacity and the events being built), and an event never tracked is left to the GC. It
/// once checked its count before every return, and <see cref="ConcurrentQueue{T}.Count"/>, which takes a consistent
/// snapshot of both ends, cost the writer more than taking the event from the queue.
/// </remarks>
internal sealed class EventPool
{
    private readonly ConcurrentQueue<PendingEvent> _items = new();

    public PendingEvent Rent() => _items.TryDequeue(out var item) ? item : new PendingEvent();

    public void Return(PendingEvent item)
    {
        item.Clear();
        _items.Enqueue(item);
    }
}
