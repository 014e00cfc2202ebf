using Candor.Consent;
using Candor.Manifest;
using Candor.Sinks;

namespace Candor.Tests.Tracking;

/// <summary>
/// Tracking allocates nothing per event once warm, on the tool's thread (Event, With, Track and the Flush that waits)
/// or on the writer's (queue, ID, transforms, serialisation, sinks). Each thread counts its own bytes, so the tests
/// that run beside these cannot disturb them: the tool's thread here, the writing in the sink, which every thread that
/// writes calls (the writer thread, and the tool's when a flush takes the queue over), each read against its own last
/// write.
/// </summary>
public class TrackingAllocationTests
{
    private const int Burst = 1024;

    [Fact]
    public void Track_TenTimesTheEvents_AllocatesNoMoreOnEitherThread()
    {
        var sink = new AllocationReadingSink();
        var options = new CandorOptions { Manifest = TelemetryManifest.Parse(Some.ManifestJson) };
        using var client = CandorClient.Start(ClientSetup.ForTesting(options, sink, new Dictionary<string, string>()), options);

        // Warm: a whole burst waits while the writer is held, so the pool grows to a queue's worth of events (it only
        // ever grows to the most events out at once, which a writer that keeps up keeps small, and a loaded machine
        // then raises during the measured bursts); a block of IDs is drawn, buffers have grown, code is compiled.
        sink.Hold.Reset();
        TrackBurst(client);
        sink.Hold.Set();
        Assert.True(client.Flush(TimeSpan.FromSeconds(30)));
        Bursts(client, 20);

        var few = Allocated(client, sink, bursts: 5);
        var many = Allocated(client, sink, bursts: 50);

        // Anything allocated once per few hundred events would add kilobytes over the 46,080 extra events.
        Assert.True(many.Tool <= few.Tool + 512, $"the tool's thread allocated {few.Tool} B for 5 bursts and {many.Tool} B for 50");
        Assert.True(many.Writer <= few.Writer + 512, $"the writer allocated {few.Writer} B for 5 bursts and {many.Writer} B for 50");
        Assert.Equal(76 * Burst, sink.Count);
        Assert.Empty(client.Dropped);
    }

    private static (long Tool, long Writer) Allocated(CandorClient client, AllocationReadingSink sink, int bursts)
    {
        var tool = GC.GetAllocatedBytesForCurrentThread();
        var writer = sink.WriterAllocated;
        Bursts(client, bursts);
        return (GC.GetAllocatedBytesForCurrentThread() - tool, sink.WriterAllocated - writer);
    }

    private static void Bursts(CandorClient client, int bursts)
    {
        for (var b = 0; b < bursts; b++)
        {
            TrackBurst(client);
            Assert.True(client.Flush(TimeSpan.FromSeconds(30)));
        }
    }

    // A burst fits the default queue, so nothing is dropped whenever the writer runs.
    private static void TrackBurst(CandorClient client)
    {
        for (var i = 0; i < Burst; i++)
        {
            client.Event("install").With("triplet", "x64-linux").With("cached", i % 2 == 0).With("buildTime", 1500.0 + i).Track();
        }
    }

    // Adds up, on each thread that writes events, what that thread allocated since its last write.
    private sealed class AllocationReadingSink : IEventSink
    {
        // The writing thread's count at its last write to this sink.
        [ThreadStatic]
        private static AllocationReadingSink? t_sink;

        [ThreadStatic]
        private static long t_allocatedAtLastWrite;

        private long _allocated;
        private long _count;

        /// <summary>Holds the writer in its next write while reset.</summary>
        public ManualResetEventSlim Hold { get; } = new(initialState: true);

        public long WriterAllocated => Volatile.Read(ref _allocated);

        public long Count => Volatile.Read(ref _count);

        public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
        {
            Hold.Wait();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            if (ReferenceEquals(t_sink, this))
            {
                Interlocked.Add(ref _allocated, allocated - t_allocatedAtLastWrite);
            }

            t_sink = this;
            t_allocatedAtLastWrite = allocated;
            Volatile.Write(ref _count, _count + 1);
            return true;
        }
    }
}
