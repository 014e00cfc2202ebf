using System.Runtime.CompilerServices;

namespace Candor.Tracking;

/// <summary>
/// The callers of a flush, each waiting until the queue's reader has handed every event up to a position in the queue
/// (the events claimed when the flush began) to the sinks. A flush allocates nothing when it waits synchronously and
/// puts nothing in the queue, and the reader pays for it only when a waiter's position is reached.
/// </summary>
/// <remarks>
/// The reader records its position after each event (<see cref="Advance"/>) and, with a plain read, wakes the waiters
/// once it passes the lowest position one of them waits for. That read may miss a waiter that arrived a moment ago;
/// the next event's read, or the fenced check the reader makes whenever it finds the queue empty (<see cref="Idle"/>),
/// does not. A waiter records itself before it reads the reader's position, with a fence between the two, so either
/// it sees that it is done or the reader sees it.
/// </remarks>
internal sealed class FlushWaiters
{
    private readonly object _gate = new();
    // Made by the first FlushAsync: a short run that only flushes at exit never compiles this list's code, which
    // ReadyToRun cannot precompile for a tuple of the SDK's choosing.
    private List<(long Target, TaskCompletionSource<bool> Done)>? _asynchronous;

    // Written only by the queue's one reader.
    private long _written;

    // The lowest position a waiter waits for; long.MaxValue when none does.
    private long _lowestTarget = long.MaxValue;

    private int _waiting;
    private volatile bool _stopped;

    /// <summary>Called by the reader after it handed the event before <paramref name="written"/> to the sinks.</summary>
    public void Advance(long written)
    {
        Volatile.Write(ref _written, written);
        if (written >= Volatile.Read(ref _lowestTarget))
        {
            Release();
        }
    }

    /// <summary>Called by the reader when it found the queue empty: wakes whoever arrived while it wrote.</summary>
    public void Idle()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiting) != 0)
        {
            Release();
        }
    }

    /// <summary>The reader has stopped for good: every waiter returns, and every later wait returns at once.</summary>
    public void Stop()
    {
        _stopped = true;
        Release();
    }

    /// <summary>Blocks until the reader has passed <paramref name="target"/> or stopped, at most <paramref name="timeout"/>. Returns whether it got there.</summary>
    public bool Wait(long target, TimeSpan timeout)
    {
        if (Done(target))
        {
            return true;
        }

        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        Interlocked.Increment(ref _waiting);
        try
        {
            lock (_gate)
            {
                while (!Register(target))
                {
                    var left = deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
                    if (left == 0 || !Monitor.Wait(_gate, left))
                    {
                        return Done(target);
                    }
                }

                return true;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>Completes when the reader has passed <paramref name="target"/> or stopped (true), or when <paramref name="cancellationToken"/> fires (false).</summary>
    public async Task<bool> WaitAsync(long target, CancellationToken cancellationToken)
    {
        if (Done(target))
        {
            return true;
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _waiting);
        try
        {
            lock (_gate)
            {
                if (Register(target))
                {
                    return true;
                }

                (_asynchronous ??= []).Add((target, done));
            }

            try
            {
                return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    _asynchronous?.RemoveAll(waiter => waiter.Done == done);
                }

                return false;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private bool Done(long target) => _stopped || Volatile.Read(ref _written) >= target;

    /// <summary>Whether the reader has handed the events before <paramref name="target"/> to the sinks, or stopped.</summary>
    public bool Passed(long target) => Done(target);

    // Under the gate: lowers the position the reader watches for to this waiter's, then looks again (after a fence, so
    // a reader that missed the new target has already published the position that makes this waiter done).
    private bool Register(long target)
    {
        if (target < _lowestTarget)
        {
            Volatile.Write(ref _lowestTarget, target);
        }

        Interlocked.MemoryBarrier();
        return Done(target);
    }

    private void Release()
    {
        lock (_gate)
        {
            // Blocked waiters that are not done yet register again when they wake; asynchronous ones are kept here.
            Volatile.Write(ref _lowestTarget, _asynchronous is null ? long.MaxValue : ReleaseAsynchronous(_asynchronous));
            Monitor.PulseAll(_gate);
        }
    }

    // Under the gate: completes the asynchronous waiters that are done and returns the lowest target of the rest.
    // Apart from Release, which every run that records calls at its end: a precompiled method loads the types it names
    // when it is first called, and these (the waiters' tuples and tasks) only a run that awaited a flush needs.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long ReleaseAsynchronous(List<(long Target, TaskCompletionSource<bool> Done)> asynchronous)
    {
        var lowest = long.MaxValue;
        for (var i = asynchronous.Count - 1; i >= 0; i--)
        {
            var (target, done) = asynchronous[i];
            if (Done(target))
            {
                done.TrySetResult(true);
                asynchronous.RemoveAt(i);
            }
            else
            {
                lowest = Math.Min(lowest, target);
            }
        }

        return lowest;
    }
}
