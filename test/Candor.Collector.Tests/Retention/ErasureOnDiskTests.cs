using System.Text;
using Candor.Collector.Retention;
using Candor.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Tests.Retention;

/// <summary>Erased means gone: after a deletion on request or by retention, no byte of it is left in the data folder.</summary>
public sealed class ErasureOnDiskTests
{
    [Fact]
    public async Task DeleteOnRequest_ThenStop_LeavesNoByteOfTheInstallOrItsEventsInAnyFile()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        var hers = Enumerable.Range(0, 60).Select(i => Some.Install(alice, Some.Now.AddMinutes(-i))).ToList();
        var bob = Some.Install();
        await collector.PostBatchAsync(key, [.. hers, bob]);
        _ = await collector.Admin.GetStringAsync("/query/sample/events");
        Assert.True(Holds(collector.DataPath, alice), "the search must find the install before it is deleted");

        var response = await collector.PostRawAsync(key, Encoding.UTF8.GetBytes($$"""{"install":"{{alice}}","proof":"{{Some.ProofOf(alice)}}"}"""), gzip: false, path: ProtocolConstants.DeletePath);
        response.EnsureSuccessStatusCode();
        await collector.StopAsync();

        Assert.False(Holds(collector.DataPath, alice), "the install ID is still in the data folder");
        Assert.All(hers, e => Assert.False(Holds(collector.DataPath, e.Id), $"event {e.Id} is still in the data folder"));
        Assert.True(Holds(collector.DataPath, bob.Id), "another install's event must stay");
    }

    [Fact]
    public async Task DeleteOnRequest_WhileTheCollectorRuns_LeavesNoByteInTheLogEither()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        var hers = Enumerable.Range(0, 20).Select(i => Some.Install(alice, Some.Now.AddMinutes(-i))).ToList();
        await collector.PostBatchAsync(key, [.. hers, Some.Install()]);

        var response = await collector.PostRawAsync(key, Encoding.UTF8.GetBytes($$"""{"install":"{{alice}}","proof":"{{Some.ProofOf(alice)}}"}"""), gzip: false, path: ProtocolConstants.DeletePath);
        response.EnsureSuccessStatusCode();

        // Not stopped: someone copying the folder now finds nothing either, in the database or its write-ahead log.
        Assert.False(Holds(collector.DataPath, alice));
        Assert.All(hers, e => Assert.False(Holds(collector.DataPath, e.Id)));
    }

    [Fact]
    public async Task Retention_ThenStop_LeavesNoByteOfTheExpiredEventsOrTheirInstallInAnyFile()
    {
        // Raw events expire after 6 months here, their install's rollup rows (distinct-install counts) after 7.
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Retention:Interval"] = "30.00:00:00", ["Retention:RollupMonths"] = "7" });
        var key = await collector.RegisterAsync(retentionMonths: 6);
        var alice = Guid.NewGuid();
        var old = Enumerable.Range(0, 30).Select(i => Some.Install(alice, collector.Clock.GetUtcNow().AddMinutes(-i))).ToList();
        await collector.PostBatchAsync(key, old);
        collector.Clock.Advance(TimeSpan.FromDays(200));
        var recent = Some.Install(time: collector.Clock.GetUtcNow());
        await collector.PostBatchAsync(key, [recent]);
        var retention = collector.Services.GetRequiredService<RetentionJob>();
        await retention.RunOnceAsync(default);
        Assert.All(old, e => Assert.False(Holds(collector.DataPath, e.Id), $"expired event {e.Id} is still in the data folder"));
        collector.Clock.Advance(TimeSpan.FromDays(40));

        await retention.RunOnceAsync(default);
        await collector.StopAsync();

        Assert.All(old, e => Assert.False(Holds(collector.DataPath, e.Id), $"expired event {e.Id} is still in the data folder"));
        Assert.False(Holds(collector.DataPath, alice), "the install of only expired events is still in the data folder");
        Assert.True(Holds(collector.DataPath, recent.Id));
    }

    // The ID as it could be stored: its 16 bytes in either order, or its text with or without dashes, in any case.
    private static bool Holds(string folder, Guid id)
    {
        byte[][] forms =
        [
            id.ToByteArray(),
            id.ToByteArray(bigEndian: true),
            .. new[] { "D", "N" }.SelectMany(f => new[] { id.ToString(f), id.ToString(f).ToUpperInvariant() }).Select(Encoding.ASCII.GetBytes),
        ];
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }

            if (forms.Any(form => bytes.AsSpan().IndexOf(form) >= 0))
            {
                return true;
            }
        }

        return false;
    }
}
