using System.Text;
using Candor.Consent;
using Candor.Manifest;
using Candor.Sinks;
using Candor.Testing;
using Candor.Tracking;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Tracking;

/// <summary>An event pipeline wired to an in-memory sink, for tests below the client.</summary>
internal sealed class PipelineHarness
{
    public PipelineHarness(TelemetryLevel level = TelemetryLevel.All, string? manifestJson = null, byte[]? hashKey = null, int capacity = 1024, DateTimeOffset? now = null, IEventSink? sink = null, TimeSpan? linger = null, Action? onLongRun = null, Action? beforeStamp = null, Func<IEventSink[]>? buildSinks = null)
    {
        Time = new FakeTimeProvider(now ?? new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        Manifest = TelemetryManifest.Parse(manifestJson ?? Some.ManifestJson);
        Stamp = new EventStamp(
            Manifest.Product,
            Manifest.Revision,
            Guid.NewGuid(),
            Guid.NewGuid(),
            null,
            Encoding.UTF8.GetBytes("""{"version":"1.0.0","os":"linux","osVersion":"debian 12","arch":"x64","runtime":"10.0.0","container":false,"wsl":false,"interactive":false,"host":"process"}"""),
            hashKey ?? Encoding.UTF8.GetBytes("product-key"),
            assembly => assembly == typeof(PipelineHarness).Assembly,
            Manifest.Namespaces);
        Pipeline = new EventPipeline(Manifest, level, () =>
        {
            beforeStamp?.Invoke();
            return Stamp;
        }, buildSinks is not null ? new SinkSet(1, buildSinks) : new SinkSet(sink is null ? [Sink] : [Sink, sink]), Time, Drops, capacity, linger, onLongRun);
    }

    public TelemetryManifest Manifest { get; }

    public EventStamp Stamp { get; }

    public InMemorySink Sink { get; } = new();

    public DropCounters Drops { get; } = new();

    public FakeTimeProvider Time { get; }

    public EventPipeline Pipeline { get; }

    /// <summary>Waits until the writer has started and, with nothing tracked, gone to wait (idle).</summary>
    public void WaitForIdleWriter() => Pipeline.Started.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

    public IReadOnlyList<RecordedEvent> Flush()
    {
        Assert.True(Pipeline.FlushAsync(CancellationToken.None).Wait(TimeSpan.FromSeconds(30)));
        return Sink.Events;
    }
}
