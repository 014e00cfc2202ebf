using Candor.Collector.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Tests.Retention;

public class RetentionJobTests
{
    [Fact]
    public async Task Schedule_ClockPassesRetention_DeletesOldRawEventsAndLogsHowMany()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Retention:Interval"] = "01:00:00" });
        var key = await collector.RegisterAsync();
        await collector.PostBatchAsync(key, [Some.Install(), Some.Install(), Some.Failed()]);

        collector.Clock.Advance(TimeSpan.FromDays((14 * 31) + 1));

        await TestCollector.EventuallyAsync(
            () => Task.FromResult(collector.Logs.Any(l => l.Contains("Retention for sample: deleted 3 raw events"))),
            "the scheduled retention run");
        Assert.Equal(0, await collector.Store.CountRawEventsAsync("sample", default));
    }

    [Fact]
    public async Task RunOnce_KeepsEventsYoungerThanTheProductsRetention()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Retention:Interval"] = "30.00:00:00" });
        var key = await collector.RegisterAsync(retentionMonths: 6);
        var old = Some.Install(time: collector.Clock.GetUtcNow());
        await collector.PostBatchAsync(key, [old]);
        collector.Clock.Advance(TimeSpan.FromDays(150));
        var recent = Some.Install(time: collector.Clock.GetUtcNow());
        await collector.PostBatchAsync(key, [recent]);
        collector.Clock.Advance(TimeSpan.FromDays(40));

        await collector.Services.GetRequiredService<RetentionJob>().RunOnceAsync(default);

        var remaining = await collector.Store.ReadRawAsync(new("sample", new(2026, 1, 1), new(2027, 12, 31)), 10, default);
        Assert.Equal([recent.Id], remaining.Select(e => e.Id));
    }

    [Fact]
    public async Task RunOnce_RollupsOutliveRawEvents_UntilTheirOwnRetention()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?>
        {
            ["Retention:Interval"] = "30.00:00:00",
            ["Retention:RollupMonths"] = "12",
        });
        var key = await collector.RegisterAsync(retentionMonths: 3);
        await collector.PostBatchAsync(key, [Some.Install()]);
        var job = collector.Services.GetRequiredService<RetentionJob>();
        var day = DateOnly.FromDateTime(Some.Now.UtcDateTime);

        collector.Clock.Advance(TimeSpan.FromDays(120));
        await job.RunOnceAsync(default);
        var afterRaw = await collector.Store.CountEventsAsync(new("sample", day, day), Candor.Collector.Storage.Interval.Total, default);
        collector.Clock.Advance(TimeSpan.FromDays(300));
        await job.RunOnceAsync(default);
        var afterRollups = await collector.Store.CountEventsAsync(new("sample", day, day), Candor.Collector.Storage.Interval.Total, default);

        Assert.Equal(0, await collector.Store.CountRawEventsAsync("sample", default));
        Assert.Equal(1, afterRaw.Single().Events);
        Assert.Empty(afterRollups);
    }
}
