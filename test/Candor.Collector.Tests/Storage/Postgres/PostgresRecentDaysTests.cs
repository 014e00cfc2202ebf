using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Postgres;

namespace Candor.Collector.Tests.Storage.Postgres;

// What a collector holds of the newest days takes its own commits in exactly once: a commit is folded into a build
// only if the build's snapshot did not see it, also when it ends while the build runs. These need no database:
// the builds, their snapshots and the commits' transaction IDs are made by hand.
public class PostgresRecentDaysTests
{
    private const int Product = 1;
    private const long Name = 7;
    private static readonly DateOnly Day = new(2026, 12, 7);

    // Transactions before 100 had ended when the snapshot was taken; 100 was running.
    private static readonly XidSnapshot Before100 = new(100, 101, [100]);
    private static readonly XidSnapshot After100 = new(101, 101, []);

    [Fact]
    public void Commit_IsFoldedIntoABuildThatDidNotSeeIt()
    {
        var recent = new PostgresRecentDays();
        HoldBuilt(recent, Built(Before100, (1, 1, 1)));

        recent.EndWrite(Commit(xid: 100, install: 2), [(Product, Day)]);

        Assert.False(recent.TryFind(Product, Day, 5, 1, Name, DayRollup.TotalsPart, out _));
        Assert.True(recent.TryFind(Product, Day, 5, 2, Name, DayRollup.TotalsPart, out var folded));
        Assert.Equal(Part(Built(After100, (1, 1, 1), (1, 2, 1))), folded);
    }

    [Fact]
    public void Commit_TheBuildSaw_IsNotCountedTwice()
    {
        var recent = new PostgresRecentDays();
        HoldBuilt(recent, Built(After100, (1, 1, 1), (1, 2, 1)));

        recent.EndWrite(Commit(xid: 100, install: 2), [(Product, Day)]);

        Assert.True(recent.TryFind(Product, Day, 5, 2, Name, DayRollup.TotalsPart, out var held));
        Assert.Equal(Part(Built(After100, (1, 1, 1), (1, 2, 1))), held);
    }

    [Fact]
    public void CommitThatEndsWhileABuildRuns_IsFoldedInWhenItIsHeld_OnlyIfItsSnapshotMissedIt()
    {
        var recent = new PostgresRecentDays();
        var ticket = recent.BeginBuild();
        recent.EndWrite(Commit(xid: 100, install: 2), [(Product, Day)]);
        recent.Hold(ticket, Product, Built(Before100, (1, 1, 1)), only: null);
        recent.EndBuild();
        Assert.True(recent.TryFind(Product, Day, 5, 2, Name, DayRollup.TotalsPart, out var missed));

        var other = new PostgresRecentDays();
        ticket = other.BeginBuild();
        other.EndWrite(Commit(xid: 100, install: 2), [(Product, Day)]);
        other.Hold(ticket, Product, Built(After100, (1, 1, 1), (1, 2, 1)), only: null);
        other.EndBuild();
        Assert.True(other.TryFind(Product, Day, 5, 2, Name, DayRollup.TotalsPart, out var seen));

        Assert.Equal(Part(Built(After100, (1, 1, 1), (1, 2, 1))), missed);
        Assert.Equal(missed, seen);
    }

    [Fact]
    public void FailedCommit_LetsTheDaysItTouchedGo_AndTheBuildsUnderWayHoldNothing()
    {
        var recent = new PostgresRecentDays();
        HoldBuilt(recent, Built(Before100, (1, 1, 1)));
        var ticket = recent.BeginBuild();

        recent.EndWrite(null, [(Product, Day)]);
        Assert.False(recent.TryFind(Product, Day, 5, 1, Name, DayRollup.TotalsPart, out _));

        // It may or may not have happened, and has no ID to ask the snapshot about.
        recent.Hold(ticket, Product, Built(Before100, (1, 1, 1)), only: null);
        recent.EndBuild();
        Assert.False(recent.TryFind(Product, Day, 5, 1, Name, DayRollup.TotalsPart, out _));
    }

    [Fact]
    public void LateEvent_TakesTheNewVersion_OnlyFromTheVersionHeld()
    {
        var recent = new PostgresRecentDays();
        HoldBuilt(recent, Built(Before100, (1, 1, 1)));
        var commit = Commit(xid: 100, install: 2);
        commit.Versions[(Product, Day)] = (5, 9);
        recent.EndWrite(commit, [(Product, Day)]);
        Assert.True(recent.TryFind(Product, Day, 9, 2, Name, DayRollup.TotalsPart, out _));

        // Someone else changed the day (a deletion, say) between the version held and this commit's.
        commit = Commit(xid: 102, install: 3);
        commit.Versions[(Product, Day)] = (10, 11);
        recent.EndWrite(commit, [(Product, Day)]);
        Assert.False(recent.TryFind(Product, Day, 11, 3, Name, DayRollup.TotalsPart, out _));
    }

    private static void HoldBuilt(PostgresRecentDays recent, PostgresDayRollups.BuiltDay built)
    {
        recent.Hold(recent.BeginBuild(), Product, built, only: null);
        recent.EndBuild();
    }

    // A day at version 5, not settled, whose stamp counts its rows' events.
    private static PostgresDayRollups.BuiltDay Built(XidSnapshot snapshot, params (int Context, long Install, long N)[] rows)
    {
        var built = new PostgresDayRollups.BuiltDay(Day, 5, settled: false) { Stamp = rows.Sum(r => r.N), Snapshot = snapshot };
        foreach (var (context, install, n) in rows)
        {
            built.Add((int)Name, context, install, n, summary: null);
        }

        built.Finish();
        return built;
    }

    private static byte[] Part(PostgresDayRollups.BuiltDay built) => built.Parts.Single(p => p.Name == Name && p.Part == DayRollup.TotalsPart).Data;

    // One event of a new install in context 1.
    private static PostgresCommitRows Commit(long xid, long install)
    {
        var commit = new PostgresCommitRows(Day.AddDays(-2)) { Xid = xid };
        commit.Stamps[(Product, Day)] = 1;
        commit.Events.Add(new(Product, Day, Name, 1, install, 1, 1));
        return commit;
    }
}
