using Candor.Tracking;

namespace Candor.Tests.Tracking;

public sealed class DropCountersTests
{
    [Fact]
    public void ReasonCount_EveryReason_HasACounter()
    {
        var reasons = Enum.GetValues<DropReason>();

        Assert.Equal(DropCounters.ReasonCount, reasons.Length);
        Assert.All(reasons, reason => Assert.InRange((int)reason, 0, DropCounters.ReasonCount - 1));
    }

    [Fact]
    public void Add_EachReason_IsCountedOnItsOwn()
    {
        var drops = new DropCounters();

        foreach (var reason in Enum.GetValues<DropReason>())
        {
            drops.Add(reason, (int)reason + 1);
        }

        Assert.All(Enum.GetValues<DropReason>(), reason => Assert.Equal((int)reason + 1, drops[reason]));
        Assert.Equal(DropCounters.ReasonCount, drops.Snapshot().Count);
    }
}
