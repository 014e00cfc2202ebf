using Candor.Tracking;

namespace Candor.Tests.Tracking;

public sealed class EventPoolTests
{
    [Fact]
    public void BeforeStart_ReturnedEventsAreNotKept()
    {
        var pool = new EventPool();
        var first = pool.Rent();

        pool.Return(first);

        Assert.NotSame(first, pool.Rent());
    }

    [Fact]
    public void AfterStart_AReturnedEventIsRentedAgain_Cleared()
    {
        var pool = new EventPool();
        pool.Start();
        var pending = pool.Rent();
        pending.Start(Candor.Manifest.TelemetryManifest.Parse(Some.ManifestJson).Events[0], DateTimeOffset.UnixEpoch);

        pool.Return(pending);

        var again = pool.Rent();
        Assert.Same(pending, again);
        Assert.Null(again.Definition);
    }

    [Fact]
    public void Start_Twice_KeepsWhatWasReturned()
    {
        var pool = new EventPool();
        pool.Start();
        var pending = pool.Rent();
        pool.Return(pending);

        pool.Start();

        Assert.Same(pending, pool.Rent());
    }
}
