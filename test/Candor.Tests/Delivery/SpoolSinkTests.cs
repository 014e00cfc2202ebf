using Candor.Delivery;
using Candor.Tracking;

namespace Candor.Tests.Delivery;

public sealed class SpoolSinkTests
{
    private static readonly DeliveryOptions CheckEveryTenMinutes = new() { UploadAtEvents = 3, UploadAfter = TimeSpan.FromMinutes(10) };

    [Fact]
    public async Task KeepChecking_ChecksTheSpoolAgainEveryUploadAfter()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig(options: CheckEveryTenMinutes);
        using var delivery = Create(rig, collector.Endpoint);
        using var sink = new SpoolSink(delivery, new DropCounters(), rig.Options, rig.Time);
        var ids = rig.Track(1);

        sink.Start();
        sink.KeepChecking();
        Assert.False(delivery.IsUploading);
        rig.Time.Advance(rig.Options.UploadAfter);

        // The timer found the one event old enough and started an upload.
        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Equal(ids, collector.Stored.Keys);
    }

    [Fact]
    public void Start_Alone_ChecksOnceAndStartsNoTimer()
    {
        using var rig = new DeliveryRig(options: CheckEveryTenMinutes);
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"));
        using var sink = new SpoolSink(delivery, new DropCounters(), rig.Options, rig.Time);
        rig.Track(1);

        sink.Start();
        rig.Time.Advance(rig.Options.UploadAfter * 3);

        Assert.False(delivery.IsUploading);
        Assert.False(delivery.HasHttpClient);
        Assert.Single(rig.SpoolFiles());
    }

    [Fact]
    public void KeepChecking_AfterDispose_StartsNoTimer()
    {
        // The writer thread may get to Start only after the tool's thread disposed the client.
        using var rig = new DeliveryRig(options: CheckEveryTenMinutes);
        var delivery = Create(rig, new Uri("http://127.0.0.1:9"));
        var sink = new SpoolSink(delivery, new DropCounters(), rig.Options, rig.Time);
        rig.Track(1);
        sink.Dispose();

        sink.KeepChecking();
        rig.Time.Advance(rig.Options.UploadAfter * 3);

        Assert.False(delivery.HasHttpClient);
        Assert.Single(rig.SpoolFiles());
    }

    private static EventDelivery Create(DeliveryRig rig, Uri endpoint) =>
        new(rig.Home, DeliveryRig.Product, endpoint.ToString(), TestCollector.Key, rig.Options, rig.Files, rig.Time);
}
