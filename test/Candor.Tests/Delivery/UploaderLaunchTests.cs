using Candor.Delivery;

namespace Candor.Tests.Delivery;

public sealed class UploaderLaunchTests
{
    [Fact]
    public void StartUnlessUnderWay_RunsExitingTogether_StartOneUploader()
    {
        using var rig = new DeliveryRig();
        var starter = new RecordingStarter();

        for (var run = 0; run < 16; run++)
        {
            Assert.True(UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, starter, TimeSpan.FromMinutes(1)));
            rig.Time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Single(starter.Starts);
    }

    [Fact]
    public void StartUnlessUnderWay_TheStartedUploaderNeverArrived_TheNextRunStartsAnother()
    {
        using var rig = new DeliveryRig();
        var starter = new RecordingStarter();
        UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, starter, TimeSpan.FromMinutes(1));

        rig.Time.Advance(TimeSpan.FromSeconds(6));
        UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, starter, TimeSpan.FromMinutes(1));

        Assert.Equal(2, starter.Starts.Count);
    }

    [Fact]
    public void StartUnlessUnderWay_StartFailed_LeavesNoMarkToHoldTheNextRunBack()
    {
        using var rig = new DeliveryRig();
        var failing = new RecordingStarter(succeeds: false);
        Assert.False(UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, failing, TimeSpan.FromMinutes(1)));

        var working = new RecordingStarter();
        Assert.True(UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, working, TimeSpan.FromMinutes(1)));

        Assert.Single(working.Starts);
    }

    [Fact]
    public void StartUnlessUnderWay_UploaderHoldsTheLock_StartsNone()
    {
        using var rig = new DeliveryRig();
        var starter = new RecordingStarter();
        using var held = UploadLock.TryTake(rig.Home, rig.Files);

        Assert.True(UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, starter, TimeSpan.FromMinutes(1)));

        Assert.Empty(starter.Starts);
    }

    [Fact]
    public async Task AnUploaderThatIsDone_RemovesTheMark_SoTheNextRunStartsOneAtOnce()
    {
        using var rig = new DeliveryRig();
        var starter = new RecordingStarter();
        UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, starter, TimeSpan.FromMinutes(1));

        await new DetachedUpload(rig.Home, new DeliveryOptions(), rig.Files, rig.Time).RunAsync(waitForLock: false, CancellationToken.None);
        UploaderLaunch.StartUnlessUnderWay(rig.Home, rig.Files, rig.Time, starter, TimeSpan.FromMinutes(1));

        Assert.Equal(2, starter.Starts.Count);
        Assert.True(File.Exists(rig.Home.UploadStarting));
    }
}
