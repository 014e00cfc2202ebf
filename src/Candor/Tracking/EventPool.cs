namespace Candor.Tracking;

/// <summary>
/// A small lock-free pool of <see cref="PendingEvent"/>s (the shape of Microsoft.Extensions.ObjectPool's
/// default pool, without the dependency). When it is empty a new instance is made; when it is full a
/// returned instance is left to the GC. Either way tracking never waits.
/// </summary>
internal sealed class EventPool
{
    private readonly PendingEvent?[] _items = new PendingEvent?[Environment.ProcessorCount * 4];

    public PendingEvent Rent()
    {
        var items = _items;
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            if (item is not null && Interlocked.CompareExchange(ref items[i], null, item) == item)
            {
                return item;
            }
        }

        return new PendingEvent();
    }

    public void Return(PendingEvent item)
    {
        item.Clear();
        var items = _items;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i] is null && Interlocked.CompareExchange(ref items[i], item, null) is null)
            {
                return;
            }
        }
    }
}
