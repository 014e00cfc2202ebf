using Candor.Consent;
using Candor.Sinks;
using Candor.Tracking;

namespace Candor.Tests.Tracking;

public class EventPipelineTests
{
    [Fact]
    public void Track_DeclaredValues_AreWrittenWithTheirTransforms()
    {
        var harness = new PipelineHarness();

        harness.Pipeline.Begin("install")
            .With("triplet", "x64-linux")
            .With("packages", ["ZLIB", "my-secret-lib"])
            .With("size", 5000)
            .With("cached", true)
            .With("toolVersion", "13.2.1+build.machine-42")
            .With("buildTime", TimeSpan.FromSeconds(1.5))
            .With("retries", 3)
            .Track();

        var e = Assert.Single(harness.Flush());
        Assert.Equal("install", e.Name);
        Assert.Equal("x64-linux", e.Property("triplet"));
        var packages = e.Property("packages")!.Split(',');
        Assert.Equal("zlib", packages[0]);
        Assert.Matches("^[0-9a-f]{32}$", packages[1]);
        Assert.Equal("1000-100000", e.Property("size"));
        Assert.Equal("true", e.Property("cached"));
        Assert.Equal("13.2.1", e.Property("toolVersion"));
        Assert.Equal(1500, e.Measurement("buildTime"));
        Assert.Equal(3, e.Measurement("retries"));
        Assert.Equal(harness.Stamp.Install, e.Event.Install);
        Assert.Equal(harness.Time.GetUtcNow(), e.Event.Time);
        Assert.Equal("debian 12", e.Event.Context.OsVersion);
        Assert.Empty(harness.Drops.Snapshot());
    }

    [Theory]
    [InlineData(2026, 1, 2, 3, 4, 5, 6, "2026-01-02T03:04:05.006Z")]
    [InlineData(2026, 12, 31, 23, 59, 59, 999, "2026-12-31T23:59:59.999Z")]
    [InlineData(999, 10, 11, 12, 13, 14, 150, "0999-10-11T12:13:14.150Z")]
    public void Track_Time_IsWrittenToTheMillisecond_InUtc(int year, int month, int day, int hour, int minute, int second, int millisecond, string expected)
    {
        var harness = new PipelineHarness(now: new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero).AddTicks(9_999));

        harness.Pipeline.Begin("install").Track();

        Assert.Contains($"\"time\":\"{expected}\"", Assert.Single(harness.Flush()).Json, StringComparison.Ordinal);
    }

    [Fact]
    public void Track_UndeclaredEvent_IsDroppedAndCounted()
    {
        var harness = new PipelineHarness();

        var e = harness.Pipeline.Begin("telemetry-declined");
        e.With("triplet", "x64-linux").Track();

        Assert.False(e.IsEnabled);
        Assert.Empty(harness.Flush());
        Assert.Equal(1, harness.Drops[DropReason.UndeclaredEvent]);
    }

    [Fact]
    public void Track_UndeclaredProperty_IsDroppedAndCounted()
    {
        var harness = new PipelineHarness();

        harness.Pipeline.Begin("install").With("userName", "alice").With("triplet", "x64-linux").Track();

        var e = Assert.Single(harness.Flush());
        Assert.Null(e.Property("userName"));
        Assert.DoesNotContain("alice", e.Json);
        Assert.Equal(1, harness.Drops[DropReason.UndeclaredProperty]);
    }

    [Theory]
    [InlineData("triplet", "not-a-listed-triplet")]
    [InlineData("toolVersion", "the latest one")]
    [InlineData("toolVersion", "v1.2.3")]
    public void Track_InvalidTextValue_IsDroppedAndCounted(string property, string value)
    {
        var harness = new PipelineHarness();

        harness.Pipeline.Begin("install").With(property, value).Track();

        var e = Assert.Single(harness.Flush());
        Assert.Null(e.Property(property));
        Assert.DoesNotContain(value, e.Json);
        Assert.Equal(1, harness.Drops[DropReason.InvalidValue]);
    }

    [Theory]
    [InlineData("1.2.3-/home/alice", "1.2.3")]
    [InlineData("1.2.3-alice-laptop", "1.2.3")]
    [InlineData("1.2.3-Preview4+sha.5", "1.2.3-preview.4")]
    [InlineData("10.0.100-rc.2.24474.11", "10.0.100-rc.2")]
    [InlineData("1.2.3.4.5", "1.2.3.4")]
    public void Track_VersionWithTextOutsideTheGrammar_IsCutToItsNumbersAndLabel(string value, string sent)
    {
        var harness = new PipelineHarness();

        harness.Pipeline.Begin("install").With("toolVersion", value).Track();

        var e = Assert.Single(harness.Flush());
        Assert.Equal(sent, e.Property("toolVersion"));
        Assert.DoesNotContain("alice", e.Json);
        Assert.Equal(0, harness.Drops[DropReason.InvalidValue]);
    }

    [Fact]
    public void Track_ValueOfWrongTypeOrRange_IsDroppedAndCounted()
    {
        var harness = new PipelineHarness();

        harness.Pipeline.Begin("install")
            .With("retries", 101)
            .With("cached", "yes")
            .With("buildTime", TimeSpan.FromSeconds(-1))
            .With("triplet", 3.0)
            .Track();

        var e = Assert.Single(harness.Flush());
        Assert.Null(e.Event.Measurements);
        Assert.Null(e.Event.Properties);
        Assert.Equal(4, harness.Drops[DropReason.InvalidValue]);
    }

    [Fact]
    public void Track_ListLongerThanDeclared_IsTruncatedAndCounted()
    {
        var harness = new PipelineHarness();

        harness.Pipeline.Begin("install").With("packages", Enumerable.Range(0, 25).Select(i => "pkg" + i)).Track();

        var e = Assert.Single(harness.Flush());
        Assert.Equal(20, e.Property("packages")!.Split(',').Length);
        Assert.Equal(5, harness.Drops[DropReason.ListTruncated]);
    }

    [Fact]
    public void Track_HashKind_IsKeyedPerProduct()
    {
        var a = new PipelineHarness(hashKey: "key-a"u8.ToArray());
        var b = new PipelineHarness(hashKey: "key-b"u8.ToArray());

        a.Pipeline.Begin("install").With("dataset", "customers.csv").Track();
        a.Pipeline.Begin("install").With("dataset", "customers.csv").Track();
        b.Pipeline.Begin("install").With("dataset", "customers.csv").Track();

        var fromA = a.Flush().Select(e => e.Property("dataset")).ToList();
        var fromB = Assert.Single(b.Flush()).Property("dataset");
        Assert.Equal(fromA[0], fromA[1]);
        Assert.NotEqual(fromA[0], fromB);
        Assert.Matches("^[0-9a-f]{32}$", fromB);
    }

    [Fact]
    public void Track_LevelOff_DoesNoWorkAtAll()
    {
        var harness = new PipelineHarness(TelemetryLevel.Off);

        var e = harness.Pipeline.Begin("install");
        e.With("triplet", "x64-linux").With("undeclared", "x").Track();
        harness.Pipeline.Begin("undeclared-event").Track();

        Assert.False(e.IsEnabled);
        Assert.Empty(harness.Flush());
        Assert.Empty(harness.Drops.Snapshot());
    }

    [Fact]
    public void Track_LevelErrors_KeepsOnlyErrorEvents()
    {
        var harness = new PipelineHarness(TelemetryLevel.Errors);

        harness.Pipeline.Begin("install").With("triplet", "x64-linux").Track();
        harness.Pipeline.Begin("crash").With("stack", new InvalidOperationException("boom")).Track();

        Assert.Equal("crash", Assert.Single(harness.Flush()).Name);
    }

    [Fact]
    public void Switch_Off_StopsEventsAlreadyBegun()
    {
        var harness = new PipelineHarness();

        var e = harness.Pipeline.Begin("install").With("triplet", "x64-linux");
        harness.Pipeline.Switch(disabled: true);
        e.Track();
        harness.Pipeline.Begin("install").Track();

        Assert.Empty(harness.Flush());
    }

    [Fact]
    public void Switch_BackOn_RecordsAgainAtTheLevelItWasBuiltWith()
    {
        var harness = new PipelineHarness();
        harness.Pipeline.Switch(disabled: true);

        harness.Pipeline.Switch(disabled: false);
        harness.Pipeline.Begin("install").Track();

        Assert.Equal(TelemetryLevel.All, harness.Pipeline.Level);
        Assert.Single(harness.Flush());
    }

    [Fact]
    public void Track_QueueFull_DropsAndCountsWithoutBlocking()
    {
        var harness = new PipelineHarness(capacity: 16);

        // Tracking from many threads at once never blocks; whatever does not fit is counted.
        Parallel.For(0, 2000, _ => harness.Pipeline.Begin("install").With("cached", true).Track());

        var written = harness.Flush().Count;
        Assert.Equal(2000, written + harness.Drops[DropReason.QueueFull]);
    }

    [Fact]
    public void Track_SameFieldTwice_LastValueWins()
    {
        var harness = new PipelineHarness();

        harness.Pipeline.Begin("install").With("cached", true).With("cached", false).Track();

        Assert.Equal("false", Assert.Single(harness.Flush()).Property("cached"));
    }

    [Fact]
    public void Complete_WritesQueuedEventsThenRefusesNewOnes()
    {
        var harness = new PipelineHarness();
        harness.Pipeline.Begin("install").Track();

        Assert.True(harness.Pipeline.Complete(TimeSpan.FromSeconds(30)));
        harness.Pipeline.Begin("install").Track();

        Assert.Single(harness.Sink.Events);
        Assert.Equal(1, harness.Drops[DropReason.ShutDown]);
    }

    [Fact]
    public void Complete_WriterNotBusy_WritesOnTheExitingThread()
    {
        // A short run's events must not wait for another thread to be scheduled at exit.
        using var threads = new ThreadRecordingSink();
        var harness = new PipelineHarness(sink: threads, linger: TimeSpan.FromHours(1));
        harness.WaitForIdleWriter();
        harness.Pipeline.Begin("install").Track();

        Assert.True(harness.Pipeline.Complete(TimeSpan.FromSeconds(30)));

        Assert.Single(harness.Sink.Events);
        Assert.Equal([Environment.CurrentManagedThreadId], threads.Threads);
    }

    [Fact]
    public async Task Writer_AsItStarts_WritesWhatWasTrackedMeanwhile_NotLeavingItForTheExit()
    {
        // Tracked while the writer makes its stamp; it waits for nothing after (its linger is an hour), so only its
        // first pass can write the event before a flush or the exit.
        using var tracked = new ManualResetEventSlim();
        using var threads = new ThreadRecordingSink();
        var harness = new PipelineHarness(sink: threads, linger: TimeSpan.FromHours(1), beforeStamp: () => tracked.Wait(TimeSpan.FromSeconds(30)));
        harness.Pipeline.Begin("install").Track();
        tracked.Set();

        await harness.Pipeline.Started.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(harness.Sink.Events);
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, threads.Threads);
    }

    [Fact]
    public async Task Complete_WriterBusy_WaitsForItToWriteEverything()
    {
        using var threads = new ThreadRecordingSink { Blocking = true };
        var harness = new PipelineHarness(sink: threads, linger: TimeSpan.FromHours(1));
        harness.Pipeline.Begin("install").Track();
        _ = harness.Pipeline.FlushAsync(CancellationToken.None);
        Assert.True(threads.Entered.Wait(TimeSpan.FromSeconds(30)));
        harness.Pipeline.Begin("install").Track();

        var completing = Task.Run(() => harness.Pipeline.Complete(TimeSpan.FromSeconds(30)));
        Assert.False(completing.IsCompleted);
        threads.Release.Set();

        Assert.True(await completing);
        Assert.Equal(2, harness.Sink.Events.Count);
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, threads.Threads);
    }

    [Fact]
    public void Flush_WriterBusyPastTheTimeout_ReturnsFalseThenTrueOnceWritten()
    {
        using var threads = new ThreadRecordingSink { Blocking = true };
        var harness = new PipelineHarness(sink: threads, linger: TimeSpan.FromHours(1));
        harness.Pipeline.Begin("install").Track();
        harness.Pipeline.Begin("install").Track();
        _ = harness.Pipeline.FlushAsync(CancellationToken.None);
        Assert.True(threads.Entered.Wait(TimeSpan.FromSeconds(30)));

        Assert.False(harness.Pipeline.Flush(TimeSpan.FromMilliseconds(50)));
        threads.Release.Set();

        Assert.True(harness.Pipeline.Flush(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, harness.Sink.Events.Count);
    }

    [Fact]
    public void Flush_WriterIdle_WritesOnTheCallingThread()
    {
        // Waiting for the writer thread to be woken, and to wake the caller again, cost more than the writing itself.
        using var threads = new ThreadRecordingSink();
        var harness = new PipelineHarness(sink: threads, linger: TimeSpan.FromHours(1));
        harness.WaitForIdleWriter();
        harness.Pipeline.Begin("install").Track();
        harness.Pipeline.Begin("install").Track();

        Assert.True(harness.Pipeline.Flush(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, harness.Sink.Events.Count);
        Assert.Equal([Environment.CurrentManagedThreadId, Environment.CurrentManagedThreadId], threads.Threads);
    }

    [Fact]
    public void Flush_WritingItselfPastItsTimeout_StopsAndLeavesTheRestToTheWriter()
    {
        // A flush that took the queue honours its timeout as a waiting one does: a slow sink must not hold the tool
        // for the whole queue.
        using var threads = new ThreadRecordingSink();
        var harness = new PipelineHarness(sink: threads, linger: TimeSpan.FromHours(1));
        for (var i = 0; i < 100; i++)
        {
            harness.Pipeline.Begin("install").Track();
        }

        harness.Pipeline.Flush(TimeSpan.Zero);
        var writtenHere = threads.Threads.Count(id => id == Environment.CurrentManagedThreadId);

        Assert.True(harness.Pipeline.Flush(TimeSpan.FromSeconds(30)));
        Assert.InRange(writtenHere, 0, 99);
        Assert.Equal(100, harness.Sink.Events.Count);
    }

    [Fact]
    public async Task Flush_ManyThreadsTrackingFlushingAndCompleting_EveryEventWrittenOnce()
    {
        // Flushes take the queue from the writer thread and from one another while others track; each sees its own
        // events written, Complete still writes the rest, and no event is written twice or lost.
        const int Threads = 4;
        const int PerThread = 5_000;
        var counted = new CountingSink();
        var harness = new PipelineHarness(capacity: Threads * PerThread, linger: TimeSpan.FromMilliseconds(1), sink: counted);
        var tracking = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(() =>
        {
            for (var i = 1; i <= PerThread; i++)
            {
                harness.Pipeline.Begin("install").Track();
                if (i % 97 == 0)
                {
                    var before = counted.Count;
                    Assert.True(harness.Pipeline.Flush(TimeSpan.FromSeconds(30)));
                    Assert.True(counted.Count >= before + 1);
                }
            }
        }, TaskCreationOptions.LongRunning)).ToList();
        await Task.WhenAll(tracking);

        Assert.True(harness.Pipeline.Complete(TimeSpan.FromSeconds(30)));

        Assert.Equal(Threads * PerThread, counted.Count);
        Assert.Equal(Threads * PerThread, harness.Sink.Events.Select(e => e.Json).Distinct().Count());
        Assert.Empty(harness.Drops.Snapshot());
    }

    [Fact]
    public void Flush_PipelineBuiltOff_ReturnsAtOnce()
    {
        var harness = new PipelineHarness(level: TelemetryLevel.Off);

        Assert.True(harness.Pipeline.Flush(Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public async Task LongRunWork_RunOutlivesTheFirstWait_RunsOnceOnTheWriter()
    {
        var runs = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var harness = new PipelineHarness(linger: TimeSpan.FromMilliseconds(1), onLongRun: () => runs.Enqueue(Environment.CurrentManagedThreadId));

        // Two batches, each waking the writer: the work still runs once.
        harness.Pipeline.Begin("install").Track();
        Assert.True(SpinWait.SpinUntil(() => !runs.IsEmpty, TimeSpan.FromSeconds(30)));
        harness.Pipeline.Begin("install").Track();
        Assert.True(await harness.Pipeline.FlushAsync(CancellationToken.None));
        Assert.True(harness.Pipeline.Complete(TimeSpan.FromSeconds(30)));

        Assert.NotEqual(Environment.CurrentManagedThreadId, Assert.Single(runs));
    }

    [Fact]
    public void LongRunWork_RunEndsWithinTheFirstWait_NeverRuns()
    {
        var ran = 0;
        var harness = new PipelineHarness(linger: TimeSpan.FromDays(1), onLongRun: () => Interlocked.Increment(ref ran));
        harness.Pipeline.Begin("install").Track();

        Assert.True(harness.Pipeline.Complete(TimeSpan.FromSeconds(30)));

        Assert.Single(harness.Sink.Events);
        Assert.Equal(0, Volatile.Read(ref ran));
    }

    // Counts what it is given, and fails the test if two threads ever write at once.
    private sealed class CountingSink : IEventSink
    {
        private int _inside;
        private long _count;

        public long Count => Volatile.Read(ref _count);

        public bool Write(Guid id, Candor.Manifest.EventDefinition definition, ReadOnlyMemory<byte> json)
        {
            Assert.Equal(0, Interlocked.Exchange(ref _inside, 1));
            Volatile.Write(ref _count, _count + 1);
            Volatile.Write(ref _inside, 0);
            return true;
        }
    }

    // Records which thread wrote each event; when Blocking, the first write waits until Release is set.
    private sealed class ThreadRecordingSink : IEventSink, IDisposable
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<int> _threads = new();

        public bool Blocking { get; init; }

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public int[] Threads => [.. _threads];

        public bool Write(Guid id, Candor.Manifest.EventDefinition definition, ReadOnlyMemory<byte> json)
        {
            _threads.Enqueue(Environment.CurrentManagedThreadId);
            Entered.Set();
            if (Blocking)
            {
                Release.Wait(TimeSpan.FromSeconds(30));
            }

            return true;
        }

        public void Dispose()
        {
            Entered.Dispose();
            Release.Dispose();
        }
    }
}
