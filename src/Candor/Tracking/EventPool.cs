using System.Collections.Concurrent;

namespace Candor.Tracking;

/// <summary>
/// A lock-free pool of <see cref="PendingEvent"/>s, as large as the queue, so that a tool tracking in a loop
/// reuses the events the writer has finished with instead of allocating: the writer returns them in batches, and a
/// pool smaller than a batch would leave most to the GC. Held in a <see cref="ConcurrentQueue{T}"/> that never
/// grows past its first segment's size, so renting and returning allocate nothing. When the pool is empty a new
/// instance is made; when it is full a returned one is left to the GC. Either way tracking never waits.
/// </summary>
internal sealed class EventPool(int capacity)
{
    private readonly ConcurrentQueue<PendingEvent> _items = new();

    public PendingEvent Rent() => _items.TryDequeue(out var item) ? item : new PendingEvent();

    public void Return(PendingEvent item)
    {
        item.Clear();
        if (_items.Count < capacity)
        {
            _items.Enqueue(item);
        }
    }
}
