using Candor.Manifest;
using Candor.Sinks;
using Candor.Tests.Tracking;
using Candor.Tracking;

namespace Candor.Tests.Sinks;

public sealed class SinkSetTests
{
    private static readonly EventDefinition Definition = TelemetryManifest.Parse(Some.ManifestJson).Events[0];

    [Fact]
    public void Write_ASinkThatThrows_DoesNotStarveTheOthers()
    {
        var kept = new RecordingSink(room: true);
        var sinks = new SinkSet([new FailingSink(), kept]);

        Assert.True(sinks.Write(Guid.NewGuid(), Definition, "{}"u8.ToArray()));
        Assert.Equal(["write"], kept.Calls);
    }

    [Fact]
    public void Write_ASinkWithoutRoom_IsCountedByThePipelineAsSpoolFull()
    {
        var full = new RecordingSink(room: false);
        var harness = new PipelineHarness(sink: full);

        harness.Pipeline.Begin("install").Track();
        harness.Flush();

        // (A slow machine may see the run prove long meanwhile: only the writes count here.)
        Assert.Equal(["write"], full.Calls.Where(c => c == "write"));
        Assert.Equal(1, harness.Drops.Snapshot()[DropReason.SpoolFull]);
        Assert.Single(harness.Sink.Events);
    }

    [Fact]
    public void DrainThenStop_ReachEverySink_WhateverOneOfThemThrows()
    {
        var calm = new RecordingSink(room: true);
        var sinks = new SinkSet([new FailingSink(), calm]);

        sinks.OnLongRun();
        Assert.False(sinks.Drain(TimeSpan.FromSeconds(1)));
        sinks.Stop();

        Assert.Equal(["long run", "drain", "stop"], calm.Calls);
    }

    [Fact]
    public void Built_WhenFirstUsed_OnceWhicheverThreadsAsk()
    {
        var builds = 0;
        var kept = new RecordingSink(room: true);
        var sinks = new SinkSet(1, () =>
        {
            Interlocked.Increment(ref builds);
            Thread.Sleep(20);
            return [kept];
        });

        Assert.Equal(1, sinks.Count);
        Assert.Equal(0, builds);

        Parallel.For(0, 8, _ => sinks.Write(Guid.NewGuid(), Definition, "{}"u8.ToArray()));
        sinks.Prepare();

        Assert.Equal(1, builds);
        Assert.Equal(8, kept.Calls.Count(c => c == "write"));
    }

    [Fact]
    public void Built_ByABuilderThatThrows_FailsEveryWrite_AndTheRestOfTheLifecycleQuietly()
    {
        var sinks = new SinkSet(1, () => throw new IOException("home gone"));

        sinks.Prepare();

        // Thrown to the pipeline's writer, which drops the event and counts it: an event no sink took is not "kept".
        Assert.Throws<IOException>(() => sinks.Write(Guid.NewGuid(), Definition, "{}"u8.ToArray()));
        sinks.OnLongRun();
        Assert.True(sinks.Drain(TimeSpan.Zero));
        sinks.Stop();
    }

    [Fact]
    public void Pipeline_WhoseSinksCannotBeBuilt_DropsAndCountsEveryEvent()
    {
        var harness = new PipelineHarness(buildSinks: () => throw new IOException("home gone"));

        harness.Pipeline.Begin("install").Track();
        harness.Pipeline.Begin("install").Track();
        Assert.True(harness.Pipeline.Complete(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, harness.Drops[DropReason.InternalError]);
    }

    private sealed class FailingSink : IEventSink
    {
        public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json) => throw new IOException("disk full");

        public void OnLongRun() => throw new IOException("no timer");

        public bool Drain(TimeSpan budget) => throw new IOException("no spool");

        public void Stop() => throw new IOException("already gone");
    }

    private sealed class RecordingSink(bool room) : IEventSink
    {
        private readonly List<string> _calls = [];

        // A pipeline's writer calls from its own thread (a write, and the long run on a slow machine) while the test reads.
        public string[] Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
        {
            Record("write");
            return room;
        }

        public void OnLongRun() => Record("long run");

        public bool Drain(TimeSpan budget)
        {
            Record("drain");
            return true;
        }

        public void Stop() => Record("stop");

        private void Record(string call)
        {
            lock (_calls)
            {
                _calls.Add(call);
            }
        }
    }
}
