using Candor.Tracking;

namespace Candor.Tests.Tracking;

public class FlushWaitersTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Wait_ManyWaitersWhileTheReaderAdvances_EachReturnsOnceItsPositionIsPassed()
    {
        const long End = 300_000;
        var waiters = new FlushWaiters();
        long written = 0;
        var reader = new Thread(() =>
        {
            for (long i = 1; i <= End; i++)
            {
                Volatile.Write(ref written, i);
                waiters.Advance(i);
                if (i % 4096 == 0)
                {
                    waiters.Idle();
                }
            }

            waiters.Idle();
        });

        var failures = 0;
        var blocking = Enumerable.Range(0, 3).Select(seed => Task.Factory.StartNew(() =>
        {
            var random = new Random(seed);
            for (var n = 0; n < 40; n++)
            {
                var target = Math.Min(End, Volatile.Read(ref written) + random.Next(1, 20_000));
                if (!waiters.Wait(target, Long) || Volatile.Read(ref written) < target)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, TaskCreationOptions.LongRunning)).ToList();
        var asynchronous = Enumerable.Range(0, 40).Select(async n =>
        {
            var target = Math.Min(End, Volatile.Read(ref written) + (n * 7_000));
            if (!await waiters.WaitAsync(target, CancellationToken.None) || Volatile.Read(ref written) < target)
            {
                Interlocked.Increment(ref failures);
            }
        }).ToList();

        reader.Start();
        await Task.WhenAll(blocking.Concat(asynchronous)).WaitAsync(Long);

        Assert.Equal(0, failures);
    }

    [Fact]
    public void Wait_PositionNotReached_ReturnsFalseAfterTheTimeout()
    {
        var waiters = new FlushWaiters();
        waiters.Advance(3);

        Assert.False(waiters.Wait(4, TimeSpan.FromMilliseconds(20)));
        Assert.True(waiters.Wait(3, TimeSpan.Zero));
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ReturnsFalse_AndLaterWaitsStillComplete()
    {
        var waiters = new FlushWaiters();
        using var cancel = new CancellationTokenSource();
        var cancelled = waiters.WaitAsync(1, cancel.Token);
        var kept = waiters.WaitAsync(2, CancellationToken.None);

        await cancel.CancelAsync();
        Assert.False(await cancelled.WaitAsync(Long));
        waiters.Advance(1);
        waiters.Advance(2);

        Assert.True(await kept.WaitAsync(Long));
    }

    [Fact]
    public async Task Stop_ReleasesEveryWaiter_AndLaterWaitsReturnAtOnce()
    {
        var waiters = new FlushWaiters();
        var blocked = Task.Factory.StartNew(() => waiters.Wait(10, Long), TaskCreationOptions.LongRunning);
        var pending = waiters.WaitAsync(10, CancellationToken.None);

        waiters.Stop();

        Assert.True(await blocked.WaitAsync(Long));
        Assert.True(await pending.WaitAsync(Long));
        Assert.True(waiters.Wait(long.MaxValue, TimeSpan.Zero));
    }
}
