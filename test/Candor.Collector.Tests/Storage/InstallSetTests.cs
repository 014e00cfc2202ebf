using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Sqlite;
using Candor.Collector.Storage;

namespace Candor.Collector.Tests.Storage;

public class InstallSetTests
{
    [Fact]
    public void Add_SameInstallAgain_CountsItOnce()
    {
        var set = new InstallSet();

        set.Add(5);
        set.Add(5);
        set.Add(6);

        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void Add_InstallsFarApart_GrowsAndCountsEach()
    {
        var set = new InstallSet();

        foreach (var install in new long[] { 0, 63, 64, 1_000_000, 1_000_001, 64 })
        {
            set.Add(install);
        }

        Assert.Equal(5, set.Count);
    }
}
