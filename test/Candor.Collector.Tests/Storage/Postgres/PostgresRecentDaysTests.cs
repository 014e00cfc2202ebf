using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Postgres;

namespace Candor.Collector.Tests.Storage.Postgres;

// What a collector holds of the newest days takes its own commits in only when it is sure the build did not
// already count them: these need no database, the builds are made by hand.
public class PostgresRecentDaysTests
{
    private const int Product = 1;
    private const long Name = 7;
    private static readonly DateOnly Day = new(2026, 12, 7);

    [Fact]
    public void Commit_IsFoldedIntoADayBuiltWhileNoneWasUnderWay()
    {
        var recent = new PostgresRecentDays();
        recent.Hold(recent.BeginBuild(), Product, Built(version: 5, (1, 1, 1)), only: null);

        recent.BeginWrite();
        recent.EndWrite(Commit(install: 2), [(Product, Day)]);

        Assert.False(recent.TryFind(Product, Day, 5, 1, Name, DayRollup.TotalsPart, out _));
        Assert.True(recent.TryFind(Product, Day, 5, 2, Name, DayRollup.TotalsPart, out var folded));
        Assert.Equal(Part(Built(version: 5, (1, 1, 1), (1, 2, 1))), folded);
    }

    [Fact]
    public void CommitUnderWayDuringTheBuild_LetsTheDayGo()
    {
        var recent = new PostgresRecentDays();
        var ticket = recent.BeginBuild();
        recent.BeginWrite();

        // The build may or may not have seen this commit: folding it could count it twice.
        recent.Hold(ticket, Product, Built(version: 5, (1, 1, 1), (1, 2, 1)), only: null);
        recent.EndWrite(Commit(install: 2), [(Product, Day)]);

        Assert.False(recent.TryFind(Product, Day, 5, 2, Name, DayRollup.TotalsPart, out _));
        Assert.False(recent.TryFind(Product, Day, 5, 3, Name, DayRollup.TotalsPart, out _));
    }

    [Fact]
    public void FailedCommit_LetsTheDaysItTouchedGo()
    {
        var recent = new PostgresRecentDays();
        recent.Hold(recent.BeginBuild(), Product, Built(version: 5, (1, 1, 1)), only: null);

        recent.BeginWrite();
        recent.EndWrite(null, [(Product, Day)]);

        Assert.False(recent.TryFind(Product, Day, 5, 1, Name, DayRollup.TotalsPart, out _));
    }

    [Fact]
    public void LateEvent_TakesTheNewVersion_OnlyFromTheVersionHeld()
    {
        var recent = new PostgresRecentDays();
        recent.Hold(recent.BeginBuild(), Product, Built(version: 5, (1, 1, 1)), only: null);
        recent.BeginWrite();
        var commit = Commit(install: 2);
        commit.Versions[(Product, Day)] = (5, 9);
        recent.EndWrite(commit, [(Product, Day)]);
        Assert.True(recent.TryFind(Product, Day, 9, 2, Name, DayRollup.TotalsPart, out _));

        // Someone else changed the day (a deletion, say) between the version held and this commit's.
        recent.BeginWrite();
        commit = Commit(install: 3);
        commit.Versions[(Product, Day)] = (10, 11);
        recent.EndWrite(commit, [(Product, Day)]);
        Assert.False(recent.TryFind(Product, Day, 11, 3, Name, DayRollup.TotalsPart, out _));
    }

    private static PostgresDayRollups.BuiltDay Built(long version, params (int Context, long Install, long N)[] rows)
    {
        var built = new PostgresDayRollups.BuiltDay(Day, version, settled: false) { Stamp = rows.Sum(r => r.N) };
        foreach (var (context, install, n) in rows)
        {
            built.Add((int)Name, context, install, n);
        }

        built.Finish();
        return built;
    }

    private static byte[] Part(PostgresDayRollups.BuiltDay built) => built.Parts.Single(p => p.Name == Name && p.Part == DayRollup.TotalsPart).Data;

    // One event of a new install in context 1.
    private static PostgresCommitRows Commit(long install)
    {
        var commit = new PostgresCommitRows(Day.AddDays(-2));
        commit.Stamps[(Product, Day)] = 1;
        commit.Events.Add(new(Product, Day, Name, 1, install, 1, 1));
        return commit;
    }
}
