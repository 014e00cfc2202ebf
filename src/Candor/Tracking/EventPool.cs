using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Candor.Tracking;

/// <summary>
/// A lock-free pool of <see cref="PendingEvent"/>s, so that a tool tracking in a loop reuses the events the writer has
/// finished with instead of allocating: the writer returns them in batches. When the pool is empty a new instance is
/// made, so tracking never waits; renting and returning allocate nothing once the pool has grown.
/// </summary>
/// <remarks>
/// <para>
/// The pool needs no bound of its own: an event is made only when the pool is empty, so it never holds more events than
/// were out at once (the queue's capacity and the events being built), and an event never tracked is left to the GC. It
/// once checked its count before every return, and <see cref="ConcurrentQueue{T}.Count"/>, which takes a consistent
/// snapshot of both ends, cost the writer more than taking the event from the queue.
/// </para>
/// <para>
/// It pools only once the run has proved long (<see cref="Start"/>): a short run tracks a few events, and the queue
/// behind the pool (its types and the assembly its name is forwarded through) cost it more than the events it would
/// have saved. Until then an event is made for each and left to the GC.
/// </para>
/// </remarks>
internal sealed class EventPool
{
    private volatile ConcurrentQueue<PendingEvent>? _items;

    /// <summary>From now on, returned events are kept for reuse. Any thread; once is enough.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Start() => _items ??= new ConcurrentQueue<PendingEvent>();

    public PendingEvent Rent() => _items is { } items ? RentFrom(items) : new PendingEvent();

    public void Return(PendingEvent item)
    {
        if (_items is { } items)
        {
            item.Clear();
            ReturnTo(items, item);
        }
    }

    // Apart, as is ReturnTo: a precompiled method loads the types it names when it is first called, and a short run,
    // which never pools, should not load the queue's.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static PendingEvent RentFrom(ConcurrentQueue<PendingEvent> items) => items.TryDequeue(out var item) ? item : new PendingEvent();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReturnTo(ConcurrentQueue<PendingEvent> items, PendingEvent item) => items.Enqueue(item);
}
