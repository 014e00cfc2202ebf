using System.Text.Json;
using Candor.Collector.Storage;
using Candor.Delivery;
using Candor.Protocol;
using Candor.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Collector.Tests.Ingestion;

/// <summary>
/// End to end: the SDK's delivery (spool, uploader, transparency log) in a temporary Candor home, uploading over
/// real HTTP to the real collector with its SQLite file. Both sides use only their production code.
/// </summary>
public class SdkUploaderTests
{
    [Fact]
    public async Task Upload_SpooledEvents_AreStoredAndLeaveTheSpoolForTheTransparencyLog()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var home = new CandorHome(Path.Combine(collector.Root, "home"));
        using var delivery = Create(collector, home, key);
        var install = Guid.NewGuid();
        WireEvent[] good =
        [
            Some.Install(install, triplet: "x64-windows"),
            Some.Install(install, packages: ["openssl"]),
            Some.Failed(install),
            Some.Crash("System.IO.IOException at Sample.Cli.Install.Run", install),
        ];
        var undeclared = Some.Install(install);
        undeclared.Properties!["path"] = Some.Json("/home/someone/project");
        var spooled = good.Append(undeclared).ToDictionary(e => e.Id, Spool);

        delivery.StartUpload();

        // The fake clock stands still, so the drain can only end when the upload has.
        Assert.True(await delivery.DrainAsync(TimeSpan.FromMinutes(1)));
        Assert.False(delivery.Spool.HasPending());

        var stored = await collector.Store.ReadRawAsync(new EventFilter(Some.Product, new(2026, 1, 1), new(2026, 12, 31)), 100, default);
        Assert.Equal(good.Select(e => e.Id).Order(), stored.Select(e => e.Id).Order());
        Assert.All(stored, e => Assert.Equal(install, e.Install));
        Assert.Equal("x64-windows", stored.Single(e => e.Id == good[0].Id).Properties["triplet"]);

        var sent = new TransparencyLog(home, Some.Product, PhysicalFileSystem.Instance, new DeliveryOptions()).Read();
        Assert.Equal(good.Select(e => e.Id).Order(), sent.Select(e => e.Id).Order());
        Assert.All(sent, e => Assert.Equal(spooled[e.Id], e.Json));

        var rejected = Assert.Single(new RejectedLog(home, Some.Product, PhysicalFileSystem.Instance, new DeliveryOptions()).Read());
        Assert.Equal(RejectionReasons.UndeclaredProperty, rejected.Reason);
        Assert.Equal(1, delivery.Counters.Rejected(RejectionReasons.UndeclaredProperty));
        foreach (var file in Directory.GetFiles(collector.DataPath))
        {
            Assert.DoesNotContain("/home/someone", System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)));
        }

        string Spool(WireEvent e)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(e, ProtocolJsonContext.Default.WireEvent);
            Assert.True(delivery.Spool.TryWrite(e.Id, json));
            return System.Text.Encoding.UTF8.GetString(json);
        }
    }

    [Fact]
    public async Task Upload_SpooledEventsWithADamagedByte_CostOnlyThoseEvents()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var home = new CandorHome(Path.Combine(collector.Root, "home"));
        using var delivery = Create(collector, home, key);
        WireEvent[] good = [Some.Install(), Some.Failed(), Some.Install()];
        var (flipped, halfPair) = (Some.Install(), Some.Install());
        foreach (var e in good)
        {
            Assert.True(delivery.Spool.TryWrite(e.Id, JsonSerializer.SerializeToUtf8Bytes(e, ProtocolJsonContext.Default.WireEvent)));
        }

        // As a disk may leave a spool file: one byte of a value changed to one that is not UTF-8, or an escape
        // changed to half a surrogate pair. Both files are still JSON with a readable id, so the SDK sends them.
        var json = JsonSerializer.SerializeToUtf8Bytes(flipped, ProtocolJsonContext.Default.WireEvent);
        json[System.Text.Encoding.UTF8.GetString(json).IndexOf("x64-linux", StringComparison.Ordinal) + 3] = 0xFF;
        Assert.True(delivery.Spool.TryWrite(flipped.Id, json));
        var escaped = JsonSerializer.Serialize(halfPair, ProtocolJsonContext.Default.WireEvent).Replace("x64-linux", "x64\\ud800", StringComparison.Ordinal);
        Assert.True(delivery.Spool.TryWrite(halfPair.Id, System.Text.Encoding.UTF8.GetBytes(escaped)));

        delivery.StartUpload();

        Assert.True(await delivery.DrainAsync(TimeSpan.FromMinutes(1)));
        Assert.False(delivery.Spool.HasPending());
        var stored = await collector.Store.ReadRawAsync(new EventFilter(Some.Product, new(2026, 1, 1), new(2026, 12, 31)), 100, default);
        Assert.Equal(good.Select(e => e.Id).Order(), stored.Select(e => e.Id).Order());

        // Each damaged event is either set aside by the SDK as it reads the spool (a file that is not text) or sent
        // and refused by the collector, and logged as refused: never stored, never sent again.
        var refused = delivery.Counters.Rejected(RejectionReasons.Malformed);
        Assert.Equal(2, refused + delivery.Counters.Dropped(DropReasons.Corrupt));
        Assert.Equal(refused, File.ReadAllLines(home.RejectedLog(Some.Product)).Count(line => line.Contains("\"reason\":\"malformed\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Upload_EventsSentAgainAfterALostAnswer_AreStoredOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var home = new CandorHome(Path.Combine(collector.Root, "home"));
        var events = Enumerable.Range(0, 3).Select(_ => JsonSerializer.SerializeToUtf8Bytes(Some.Install(), ProtocolJsonContext.Default.WireEvent)).ToList();
        var ids = events.Select(json => JsonDocument.Parse(json).RootElement.GetProperty("id").GetGuid()).ToList();

        // Two runs of the tool: the second finds the same spool files again, as if the first run's answer never arrived.
        foreach (var run in new[] { 1, 2 })
        {
            using var delivery = Create(collector, home, key);
            for (var i = 0; i < events.Count; i++)
            {
                Assert.True(delivery.Spool.TryWrite(ids[i], events[i]));
            }

            delivery.StartUpload();
            Assert.True(await delivery.DrainAsync(TimeSpan.FromMinutes(1)));
            Assert.False(delivery.Spool.HasPending());
        }

        Assert.Equal(3, await collector.Store.CountRawEventsAsync(Some.Product, default));
        var sent = new TransparencyLog(home, Some.Product, PhysicalFileSystem.Instance, new DeliveryOptions()).Read();
        Assert.Equal(6, sent.Count);
        Assert.Equal(ids.Order(), sent.Select(e => e.Id).Distinct().Order());
    }

    private static EventDelivery Create(TestCollector collector, CandorHome home, string key) =>
        new(home, Some.Product, collector.BaseAddress.ToString(), key, new DeliveryOptions(), PhysicalFileSystem.Instance, new FakeTimeProvider(Some.Now));
}
