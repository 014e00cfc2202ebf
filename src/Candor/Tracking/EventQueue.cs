using System.Numerics;
using System.Runtime.InteropServices;

namespace Candor.Tracking;

/// <summary>
/// The bounded queue between the threads that track events and the one background writer. Tracking takes no lock
/// and, while the writer is busy or lingering after a batch, wakes nothing: it claims a slot with one
/// compare-and-swap and stores the event. The writer is woken only when it has parked on an empty queue, when the
/// queue is half full, or when asked to (flush, shutdown). A tool that tracks in a hot loop therefore pays for a
/// wake-up once per batch, not once per event, and the writer's reads never contend with the tool's writes.
/// </summary>
/// <remarks>
/// A ring of slots: producers advance the head to claim a slot and then publish the event into it; the single
/// reader takes the slot at the tail once published, clears it and advances the tail, which frees it.
/// </remarks>
internal sealed class EventQueue
{
    private readonly PendingEvent?[] _slots;
    private readonly long _mask;
    private readonly long _wakeAt;
    // The doorbell: rung (under its lock) by a producer, answered by the reader. A flag and the monitor's wait and
    // pulse, not a SemaphoreSlim: its wait path loads the task and cancellation types, which no other part of a short
    // run needs, and spins before it blocks, which the reader, lingering on purpose, does not want.
    private readonly object _doorbell = new();
    private bool _ringing;

    // The producers' and the reader's positions, each on a cache line of its own: side by side, every claim by the tool
    // took the line the writer was reading its own position from, and the reverse, once per event.
    private Positions _positions;

    // The reader's last view of the head: it reads the producers' line again only once it has caught up with that view.
    private long _headSeen;

    // 1 while a release of the doorbell is pending or not yet acknowledged by the reader, so it is never released twice.
    private int _rung;

    // Set by the reader before it waits on an empty queue; a producer that sees it rings.
    private volatile bool _parked;

    /// <summary>Creates a queue holding at least <paramref name="capacity"/> events (rounded up to a power of two).</summary>
    public EventQueue(int capacity)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _slots = new PendingEvent?[size];
        _mask = size - 1;
        _wakeAt = size / 2;
    }

    /// <summary>How many events the queue holds at most.</summary>
    public int Capacity => _slots.Length;

    /// <summary>How many slots producers have claimed since the queue was made: the position after the last event added.</summary>
    public long Claimed => Volatile.Read(ref _positions.Head);

    /// <summary>How many events the reader has taken since the queue was made. The single reader only.</summary>
    public long Taken => _positions.Tail;

    /// <summary>Adds an event from any thread; false when the queue is full. Never blocks.</summary>
    public bool TryEnqueue(PendingEvent item)
    {
        while (true)
        {
            var head = Volatile.Read(ref _positions.Head);
            var waiting = head - Volatile.Read(ref _positions.Tail);
            if (waiting >= _slots.Length)
            {
                return false;
            }

            // The compare-and-swap is a full fence, so the reads of _parked below see a reader that parked
            // before this claim; a reader that parks after it sees the claim in IsEmpty.
            if (Interlocked.CompareExchange(ref _positions.Head, head + 1, head) == head)
            {
                Volatile.Write(ref _slots[head & _mask], item);
                if (_parked || waiting + 1 == _wakeAt)
                {
                    Wake();
                }

                return true;
            }
        }
    }

    /// <summary>Takes the oldest event; false when the queue is empty. The single reader only.</summary>
    public bool TryDequeue(out PendingEvent item)
    {
        var tail = _positions.Tail;
        if (tail == _headSeen && tail == (_headSeen = Volatile.Read(ref _positions.Head)))
        {
            item = null!;
            return false;
        }

        // The slot is claimed; its producer stores the event a moment later.
        ref var slot = ref _slots[tail & _mask];
        var spin = default(SpinWait);
        PendingEvent? published;
        while ((published = Volatile.Read(ref slot)) is null)
        {
            spin.SpinOnce();
        }

        slot = null;
        Volatile.Write(ref _positions.Tail, tail + 1);
        item = published;
        return true;
    }

    /// <summary>Wakes the reader if it waits; cheap when it does not.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _rung, 1) == 0)
        {
            lock (_doorbell)
            {
                _ringing = true;
                Monitor.Pulse(_doorbell);
            }
        }
    }

    /// <summary>
    /// The reader waits until woken, for at most <paramref name="linger"/> while producers need not wake it, or
    /// without a limit (parked) when <paramref name="linger"/> is infinite and the queue is empty. Blocks the
    /// reader's thread: the writer has a thread of its own, so no asynchronous machinery runs on this path.
    /// Returns whether the reader was woken (rather than timed out, or not parked because events wait).
    /// </summary>
    public bool Wait(TimeSpan linger)
    {
        var park = linger == Timeout.InfiniteTimeSpan;
        if (park)
        {
            _parked = true;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _positions.Head) != _positions.Tail)
            {
                _parked = false;
                return false;
            }
        }

        try
        {
            lock (_doorbell)
            {
                // A ring that came before the wait is answered at once; one that came as the wait timed out, too.
                if (!_ringing && !Monitor.Wait(_doorbell, linger) && !_ringing)
                {
                    return false;
                }

                _ringing = false;
            }

            // Only a ring answered is acknowledged: resetting after a timeout could let a second ring through.
            Volatile.Write(ref _rung, 0);
            return true;
        }
        finally
        {
            _parked = false;
        }
    }

    [StructLayout(LayoutKind.Explicit, Size = 3 * CacheLine)]
    private struct Positions
    {
        [FieldOffset(CacheLine)]
        public long Head;

        [FieldOffset(2 * CacheLine)]
        public long Tail;
    }

    private const int CacheLine = 64;
}
