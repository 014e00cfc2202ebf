using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Candor.Diagnostics;
using Candor.Testing;
using Candor.Tests.Support;

namespace Candor.Tests.Diagnostics;

public class CandorEventSourceTests
{
    [Fact]
    public void EventTracked_ListenerOnTheCandorProvider_SeesEachRecordedEventsExactJson()
    {
        using var listener = new TrackedListener("trace-test");
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(product: "trace-test"), sink);

        client.Event("install").With("cached", true).Track();
        Assert.True(client.Flush(TimeSpan.FromSeconds(30)));

        var traced = Assert.Single(listener.Tracked);
        Assert.Equal(("install", sink.Events[0].Json), traced);
    }

    [Fact]
    public void EventTracked_IsWrittenOnTheTrackingThread_BeforeTrackReturns()
    {
        using var listener = new TrackedListener("trace-inline-test");
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(product: "trace-inline-test"), sink);

        client.Event("install").With("cached", true).Track();

        // A process may exit right after Track, and its trace sessions end before an exit flush could run.
        var (_, json, thread) = Assert.Single(listener.Traced);
        Assert.Equal(Environment.CurrentManagedThreadId, thread);
        Assert.True(client.Flush(TimeSpan.FromSeconds(30)));
        Assert.Equal(sink.Events[0].Json, json);
    }

    [Fact]
    public void EventTracked_TelemetryOff_TracesNothing()
    {
        using var listener = new TrackedListener("trace-off-test");
        using var client = CandorClient.CreateForTesting(Manifests.Sample(product: "trace-off-test"), new InMemorySink(), new Dictionary<string, string> { ["DO_NOT_TRACK"] = "1" });

        client.Track("install");
        Assert.True(client.Flush(TimeSpan.FromSeconds(30)));

        Assert.Empty(listener.Tracked);
    }

    [Fact]
    public void Guid_IsTheOneDerivedFromTheName()
    {
        Assert.Equal(EventSource.GetGuid(typeof(NamedOnly)), EventSource.GetGuid(typeof(CandorEventSource)));
        Assert.Equal("Candor", EventSource.GetName(typeof(CandorEventSource)));
    }

    [EventSource(Name = "Candor")]
    private sealed class NamedOnly : EventSource;

    // Listeners are process-wide, so each test keeps only its own product's events.
    private sealed class TrackedListener(string product) : EventListener
    {
        public ConcurrentQueue<(string Name, string Json, int Thread)> Traced { get; } = new();

        public IEnumerable<(string Name, string Json)> Tracked => Traced.Select(t => (t.Name, t.Json));

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Candor")
            {
                EnableEvents(eventSource, EventLevel.Informational);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName == "EventTracked" && (string?)eventData.Payload?[0] == product)
            {
                Traced.Enqueue(((string)eventData.Payload![1]!, (string)eventData.Payload[2]!, Environment.CurrentManagedThreadId));
            }
        }
    }
}
