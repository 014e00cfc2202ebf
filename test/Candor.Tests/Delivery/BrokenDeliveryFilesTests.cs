using Candor.Delivery;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Delivery;

/// <summary>
/// Delivery's files broken: <c>delivery.json</c>, <c>upload.lock</c> and the spool. Nothing stops uploads for good,
/// nothing waits on a named pipe, the bad file is set aside, and the other events are sent.
/// </summary>
public sealed class BrokenDeliveryFilesTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public void Load_DeliveryStateWithBadBytes_IsAFreshStateAndSetsTheFileAside(string fault)
    {
        using var rig = new DeliveryRig();
        var bytes = BrokenBytes.For(fault, "lastFailure", "timeout");
        var path = rig.Home.DeliveryState(DeliveryRig.Product);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);

        var state = new DeliveryStateStore(path, PhysicalFileSystem.Instance).Load();

        Assert.Null(state.NextAttempt);
        Assert.False(File.Exists(path));
        Assert.Equal(bytes, File.ReadAllBytes(Assert.Single(BrokenBytes.SetAsideCopies(path))));
    }

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public async Task Upload_DeliveryStateWithBadBytes_StillDelivers(string fault)
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(3);
        File.WriteAllBytes(rig.Home.DeliveryState(DeliveryRig.Product), BrokenBytes.For(fault, "nextAttempt", "2999-01-01T00:00:00+00:00"));

        var uploader = rig.Uploader(collector.Endpoint);
        var mustWait = uploader.MustWait();
        var result = await uploader.UploadAsync(None);

        Assert.False(mustWait);
        Assert.Equal(UploadStatus.Delivered, result.Status);
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.NotNull(rig.State().LastSuccess);
        Assert.Single(BrokenBytes.SetAsideCopies(rig.Home.DeliveryState(DeliveryRig.Product)));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("fifo")]
    public async Task Upload_SomethingNotAFileInTheUploadLocksPlace_SetsItAsideAndDelivers(string kind)
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(2);
        BrokenBytes.MakeNotAFile(kind, rig.Home.UploadLock);

        var result = await Bounded.Run(() => rig.Uploader(collector.Endpoint).UploadAsync(None), "uploading");

        Assert.Equal(UploadStatus.Delivered, result.Status);
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.Single(BrokenBytes.SetAsideCopies(rig.Home.UploadLock));
    }

    [Fact]
    public async Task Upload_NamedPipeInTheSpool_SetsItAsideAndDeliversTheRest()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = new DeliveryRig();
        var ids = rig.Track(3);
        var pipe = Path.Combine(rig.Home.SpoolDirectory(DeliveryRig.Product), Spool.FileName(rig.Time.GetUtcNow().AddDays(-1), Guid.NewGuid()));
        Fifo.Make(pipe);

        var result = await Bounded.Run(() => rig.Uploader(collector.Endpoint).UploadAsync(None), "uploading");

        Assert.Equal(UploadStatus.Delivered, result.Status);
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.False(Path.Exists(pipe));
        Assert.Equal([Path.GetFileName(pipe)], rig.Spool().ListSetAside().Select(Path.GetFileName));
    }

    [Fact]
    public void Inspect_NamedPipeAndBadBytesInTheSpool_ListsTheEventsAndNamesTheRestWithoutWaitingOrMoving()
    {
        using var rig = new DeliveryRig();
        var ids = rig.Track(2);
        var spool = rig.Home.SpoolDirectory(DeliveryRig.Product);
        var pipe = Path.Combine(spool, Spool.FileName(rig.Time.GetUtcNow(), Guid.NewGuid()));
        Fifo.Make(pipe);
        var garbage = Path.Combine(spool, Spool.FileName(rig.Time.GetUtcNow(), Guid.NewGuid()));
        File.WriteAllBytes(garbage, BrokenBytes.For(BrokenBytes.InvalidUtf8, "id", Guid.NewGuid().ToString()));

        var listing = Bounded.Run(() => rig.Spool().Inspect(), "listing the spool");

        Assert.Equal(ids, listing.Pending.Select(e => e.Id));
        Assert.Equal(new[] { pipe, garbage }.Order(StringComparer.Ordinal), listing.Unusable.Select(u => u.Path).Order(StringComparer.Ordinal));
        Assert.True(Path.Exists(pipe));
        Assert.Empty(rig.Spool().ListSetAside());
    }

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public void ReadBatch_SpoolFileWithBadBytes_SetsItAsideAndReadsTheRest(string fault)
    {
        using var rig = new DeliveryRig();
        var ids = rig.Track(2);
        var bad = Path.Combine(rig.Home.SpoolDirectory(DeliveryRig.Product), Spool.FileName(rig.Time.GetUtcNow(), Guid.NewGuid()));
        File.WriteAllBytes(bad, BrokenBytes.For(fault, "id", Guid.NewGuid().ToString()));

        var batch = rig.Spool().ReadBatch(100, 1024 * 1024, new HashSet<string>());

        Assert.Equal(ids, batch.Select(e => e.Id));
        Assert.False(File.Exists(bad));
        Assert.Single(rig.Spool().ListSetAside());
    }
}
