using Candor.Delivery;
using Candor.Sinks;
using Candor.Tests.Delivery;

namespace Candor.Tests.Sinks;

public sealed class SpoolSinkTests
{
    private static readonly DeliveryOptions TwoSecondDelay = new() { UploadDelay = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task ShortRun_UploadsNothingItself_AndItsExitHandsTheEventsToTheUploader()
    {
        using var rig = new DeliveryRig(options: TwoSecondDelay);
        var starter = new RecordingStarter();
        using var delivery = Create(rig, new Uri("http://127.0.0.1:9"), starter);
        using var sink = new SpoolSink(delivery, rig.Options, rig.Time);
        Write(sink, rig, 2);
        rig.Time.Advance(TimeSpan.FromMinutes(10));

        Assert.False(delivery.IsUploading);
        Assert.True(sink.Drain(TimeSpan.FromMilliseconds(200)));

        Assert.False(delivery.HasHttpClient);
        Assert.Equal([(rig.Home.Root, false)], starter.Starts);
        Assert.Equal(2, rig.SpoolFiles().Length);
    }

    [Fact]
    public async Task KeepUploading_UploadsWhatTheRunSpooled_OneDelayAfterTheEvents()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig(options: TwoSecondDelay);
        var starter = new RecordingStarter();
        using var delivery = Create(rig, collector.Endpoint, starter);
        using var sink = new SpoolSink(delivery, rig.Options, rig.Time);
        var first = Write(sink, rig, 1);

        sink.KeepUploading();
        var second = Write(sink, rig, 2);
        Assert.False(delivery.IsUploading);
        rig.Time.Advance(rig.Options.UploadDelay);

        // One request for the burst; the run then has nothing left to hand off at exit.
        Assert.True(await delivery.DrainAsync(TimeSpan.FromDays(1)));
        Assert.Equal(first.Concat(second).Order(), collector.Stored.Keys.Order());
        Assert.Single(collector.Requests);
        Assert.True(sink.Drain(TimeSpan.FromMilliseconds(200)));
        Assert.Empty(starter.Starts);
    }

    [Fact]
    public void KeepUploading_AfterDispose_StartsNoTimer()
    {
        // The writer thread may get to KeepUploading only after the tool's thread disposed the client.
        using var rig = new DeliveryRig(options: TwoSecondDelay);
        var delivery = Create(rig, new Uri("http://127.0.0.1:9"), new RecordingStarter());
        var sink = new SpoolSink(delivery, rig.Options, rig.Time);
        Write(sink, rig, 1);
        sink.Dispose();

        sink.KeepUploading();
        rig.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.False(delivery.HasHttpClient);
        Assert.Single(rig.SpoolFiles());
    }

    private static Guid[] Write(SpoolSink sink, DeliveryRig rig, int count)
    {
        var manifest = Candor.Manifest.TelemetryManifest.Parse(Some.ManifestJson);
        var ids = new Guid[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = Guid.NewGuid();
            sink.Write(ids[i], manifest.Events[0], DeliveryRig.WireJson(ids[i], DeliveryRig.Product, rig.Time.GetUtcNow()));
        }

        return ids;
    }

    private static EventDelivery Create(DeliveryRig rig, Uri endpoint, IUploaderStarter starter) =>
        new(rig.Home, DeliveryRig.Product, endpoint.ToString(), TestCollector.Key, rig.Options, rig.Files, rig.Time, starter: starter);
}
