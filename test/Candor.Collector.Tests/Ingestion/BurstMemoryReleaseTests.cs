using Candor.Collector.Ingestion;

namespace Candor.Collector.Tests.Ingestion;

public sealed class BurstMemoryReleaseTests
{
    [Fact]
    public async Task QuietAfterABurst_GivesMemoryBack()
    {
        // A tenth of MaxBacklog held at once is a burst: one batch of 50 events here.
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Storage:MaxBacklog"] = "500" });
        var key = await collector.RegisterAsync();
        var admission = (Admission)collector.Services.GetService(typeof(Admission))!;

        var answer = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [.. Enumerable.Range(0, 50).Select(_ => Some.Install())]));
        Assert.Equal(50, answer.Accepted);
        Assert.Equal(0, admission.Held);

        // One span sees the burst, a later one sees nothing held: then the memory is given back, once.
        await TestCollector.EventuallyAsync(() =>
        {
            collector.Clock.Advance(BurstMemoryRelease.Span);
            return Task.FromResult(collector.Logs.Any(l => l.Contains("gave memory back", StringComparison.Ordinal)));
        }, "the memory of the burst to be given back");
        for (var i = 0; i < 5; i++)
        {
            collector.Clock.Advance(BurstMemoryRelease.Span);
            await Task.Delay(20);
        }

        Assert.Single(collector.Logs, l => l.Contains("gave memory back", StringComparison.Ordinal));
    }
}
