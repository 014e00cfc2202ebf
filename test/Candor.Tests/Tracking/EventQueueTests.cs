using Candor.Tracking;

namespace Candor.Tests.Tracking;

public class EventQueueTests
{
    private static readonly TimeSpan LongLinger = TimeSpan.FromHours(1);

    [Fact]
    public void Capacity_IsRoundedUpToAPowerOfTwo()
    {
        Assert.Equal(1024, new EventQueue(1000).Capacity);
        Assert.Equal(16, new EventQueue(16).Capacity);
    }

    [Fact]
    public void TryDequeue_ReturnsEventsInOrder_ThenReportsEmpty()
    {
        var queue = new EventQueue(4);
        var first = new PendingEvent();
        var second = new PendingEvent();

        Assert.True(queue.TryEnqueue(first));
        Assert.True(queue.TryEnqueue(second));

        Assert.True(queue.TryDequeue(out var a));
        Assert.True(queue.TryDequeue(out var b));
        Assert.False(queue.TryDequeue(out _));
        Assert.Same(first, a);
        Assert.Same(second, b);
    }

    [Fact]
    public void TryEnqueue_WhenFull_RefusesUntilTheReaderFreesASlot()
    {
        var queue = new EventQueue(4);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(new PendingEvent()));
        }

        Assert.False(queue.TryEnqueue(new PendingEvent()));
        Assert.True(queue.TryDequeue(out _));
        Assert.True(queue.TryEnqueue(new PendingEvent()));
    }

    [Fact]
    public async Task ManyProducers_EveryEventIsReadExactlyOnce()
    {
        const int Producers = 4;
        const int PerProducer = 20_000;
        var queue = new EventQueue(64);
        var seen = new HashSet<PendingEvent>(ReferenceEqualityComparer.Instance);

        var reader = Task.Run(() =>
        {
            while (seen.Count < Producers * PerProducer)
            {
                while (queue.TryDequeue(out var item))
                {
                    Assert.True(seen.Add(item));
                }

                queue.Wait(TimeSpan.FromMilliseconds(1));
            }
        });
        var producers = Enumerable.Range(0, Producers).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                var item = new PendingEvent();
                var spin = default(SpinWait);
                while (!queue.TryEnqueue(item))
                {
                    spin.SpinOnce();
                }
            }
        })).ToArray();

        await Task.WhenAll(producers);
        await reader;

        Assert.Equal(Producers * PerProducer, seen.Count);
    }

    [Fact]
    public void ParkedReader_IsWokenByTheNextEvent()
    {
        var queue = new EventQueue(16);
        var woken = false;
        var reader = new Thread(() => woken = queue.Wait(Timeout.InfiniteTimeSpan));
        reader.Start();
        // Blocked in Wait means parked: Wait marks the reader parked before it blocks.
        SpinWait.SpinUntil(() => (reader.ThreadState & ThreadState.WaitSleepJoin) != 0);

        queue.TryEnqueue(new PendingEvent());

        reader.Join();
        Assert.True(woken);
    }

    [Fact]
    public void Park_WithEventsWaiting_ReturnsAtOnceWithoutBeingWoken()
    {
        var queue = new EventQueue(16);
        queue.TryEnqueue(new PendingEvent());
        queue.TryDequeue(out _);
        queue.TryEnqueue(new PendingEvent());

        Assert.False(queue.Wait(Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public void LingeringReader_IsNotWokenPerEvent_OnlyWhenTheQueueIsHalfFull()
    {
        var queue = new EventQueue(16);
        queue.TryEnqueue(new PendingEvent());
        queue.TryDequeue(out _);

        for (var i = 0; i < 7; i++)
        {
            queue.TryEnqueue(new PendingEvent());
        }

        Assert.False(queue.Wait(TimeSpan.Zero));
        queue.TryEnqueue(new PendingEvent());
        Assert.True(queue.Wait(LongLinger));
    }

    [Fact]
    public void Wake_TwiceBeforeTheReaderWaits_RingsOnce()
    {
        var queue = new EventQueue(16);

        queue.Wake();
        queue.Wake();

        Assert.True(queue.Wait(LongLinger));
        Assert.False(queue.Wait(TimeSpan.Zero));
        queue.Wake();
        Assert.True(queue.Wait(LongLinger));
    }
}
