using Candor.Delivery;
using Microsoft.AspNetCore.Http;

namespace Candor.Tests.Delivery;

/// <summary>The detached uploader's work, run in process against a real collector on loopback and a real home.</summary>
public sealed class DetachedUploadTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Run_AskedProduct_SendsItsSpoolAndTakesTheRequestAway()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = NewRig();
        var ids = Ask(rig, collector, DeliveryRig.Product, 3);

        var outcome = await Upload(rig).RunAsync(waitForLock: false, None);

        Assert.Equal(new DetachedUpload.Outcome(true, 3, 0, 0), outcome);
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.Empty(rig.SpoolFiles());
        Assert.Empty(new UploadRequests(rig.Home, rig.Files).Pending());
        Assert.Equal(ids.Order(), rig.Sent().Select(e => e.Id).Order());
    }

    [Fact]
    public async Task Run_ProductNobodyAskedFor_IsLeftAlone()
    {
        // A run whose consent allowed sending asks; another product's spool waits for its own runs.
        await using var collector = await TestCollector.StartAsync();
        using var rig = NewRig();
        DeliveryRig.RecordProduct(rig.Home, "other", collector.Endpoint.ToString());
        rig.Track(2, "other");

        var outcome = await Upload(rig).RunAsync(waitForLock: false, None);

        Assert.Equal(0, outcome.Acknowledged);
        Assert.Empty(collector.Stored);
        Assert.Equal(2, rig.SpoolFiles("other").Length);
    }

    [Fact]
    public async Task Run_NoRecordOfWhereToSend_SendsNothing()
    {
        using var rig = NewRig();
        rig.Track(2);
        new UploadRequests(rig.Home, rig.Files).Add(DeliveryRig.Product);

        var outcome = await Upload(rig).RunAsync(waitForLock: false, None);

        Assert.Equal(0, outcome.Acknowledged);
        Assert.Equal(2, rig.SpoolFiles().Length);
    }

    [Fact]
    public async Task Run_AnotherUploaderHoldsTheLock_LeavesTheRequestToIt()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = NewRig();
        Ask(rig, collector, DeliveryRig.Product, 1);
        using var held = UploadLock.TryTake(rig.Home, rig.Files);

        var outcome = await Upload(rig).RunAsync(waitForLock: false, None);

        Assert.False(outcome.Ran);
        Assert.Empty(collector.Stored);
        Assert.Equal([DeliveryRig.Product], new UploadRequests(rig.Home, rig.Files).Pending());
    }

    [Fact]
    public async Task Run_WaitingForTheLock_SendsOnceTheExitingRunLetsGo()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = NewRig();
        var ids = Ask(rig, collector, DeliveryRig.Product, 2);
        var held = UploadLock.TryTake(rig.Home, rig.Files);

        var run = Upload(rig).RunAsync(waitForLock: true, None);
        await Task.Delay(200);
        held!.Dispose();

        Assert.Equal(2, (await run).Acknowledged);
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
    }

    [Fact]
    public async Task Run_ARunAsksWhileItSends_SendsThatTooBeforeItEnds()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = NewRig();
        var first = Ask(rig, collector, DeliveryRig.Product, 1);
        Guid[] second = [];
        collector.Respond = async (request, context) =>
        {
            collector.Respond = null;
            second = Ask(rig, collector, "other", 2);
            await collector.AcknowledgeAsync(request, context);
        };

        var outcome = await Upload(rig).RunAsync(waitForLock: false, None);

        Assert.Equal(3, outcome.Acknowledged);
        Assert.Equal(first.Concat(second).Order(), collector.Stored.Keys.Order());
    }

    [Fact]
    public async Task Run_CollectorBackAfterAFailure_DeliversEverythingWithinItsLifetime()
    {
        await using var collector = await TestCollector.StartAsync();
        using var rig = NewRig();
        var ids = Ask(rig, collector, DeliveryRig.Product, 2);
        collector.Respond = async (request, context) =>
        {
            collector.Respond = null;
            await TestCollector.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "{}");
        };
        var options = new DeliveryOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(200), UploaderLifetime = TimeSpan.FromMinutes(1) };

        var outcome = await Upload(rig, options).RunAsync(waitForLock: false, None);

        Assert.Equal(new DetachedUpload.Outcome(true, 2, 0, 1), outcome);
        Assert.Equal(ids.Order(), collector.Stored.Keys.Order());
        Assert.Equal(0, rig.State().Failures);
    }

    [Fact]
    public async Task Run_CollectorUnreachable_EndsWithinItsLifetime_KeepingTheEventsAndTheWait()
    {
        using var refusing = new RefusingEndpoint();
        using var rig = NewRig();
        DeliveryRig.RecordProduct(rig.Home, DeliveryRig.Product, refusing.Endpoint.ToString());
        rig.Track(2);
        new UploadRequests(rig.Home, rig.Files).Add(DeliveryRig.Product);
        var options = new DeliveryOptions
        {
            RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            RequestTimeout = TimeSpan.FromMilliseconds(500),
            UploaderLifetime = TimeSpan.FromSeconds(3),
        };

        var outcome = await Upload(rig, options).RunAsync(waitForLock: false, None);

        // It tried more than once, then left the rest to the runs that come after the wait it recorded.
        Assert.True(outcome.Failures >= 2, $"{outcome.Failures} failures");
        Assert.Equal(2, rig.SpoolFiles().Length);
        Assert.Equal("connection-failed", rig.State().LastFailure);
        Assert.NotNull(rig.State().NextAttempt);
        Assert.Empty(new UploadRequests(rig.Home, rig.Files).Pending());
    }

    [Fact]
    public void Main_WrongCommandLine_Returns2()
    {
        Assert.Equal(2, DetachedUpload.Main([]));
        Assert.Equal(2, DetachedUpload.Main(["/tmp/home", "--lifetime", "soon"]));
    }

    // The uploader runs on real time, so events are spooled at the real time too (not the rig's fixed date, which the
    // spool's age bound would drop).
    private static DeliveryRig NewRig()
    {
        var rig = new DeliveryRig();
        rig.Time.SetUtcNow(DateTimeOffset.UtcNow);
        return rig;
    }

    private static Guid[] Ask(DeliveryRig rig, TestCollector collector, string product, int count)
    {
        DeliveryRig.RecordProduct(rig.Home, product, collector.Endpoint.ToString());
        var ids = rig.Track(count, product);
        Assert.True(new UploadRequests(rig.Home, rig.Files).Add(product));
        return ids;
    }

    // Real time: the uploader's waits (for the lock, for a retry) are what these tests are about.
    private static DetachedUpload Upload(DeliveryRig rig, DeliveryOptions? options = null) =>
        new(rig.Home, options ?? new DeliveryOptions(), rig.Files);
}
