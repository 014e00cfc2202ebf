using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Sqlite;
using Candor.Collector.Storage;

namespace Candor.Collector.Tests.Storage;

public class RollupDeltasTests
{
    [Fact]
    public void AddTo_TwoCommitsOfTheSameRows_AddsCountsAndMergesSummaries()
    {
        var install = new RollupKey(Product: 1, Name: 5, Day: 20_000, Context: 3, Install: 300);
        var any = install with { Name = 0 };
        var summary = new RollupSummary { Events = 2 };
        summary.AddValue(field: 7, value: 40);
        summary.AddValue(field: 7, value: 41);
        summary.AddBucket(field: 8, bucket: 350);
        var commit = RollupDeltas.Encode(new Dictionary<RollupKey, RollupSummary> { [install] = summary, [any] = new RollupSummary { Events = 2 } });
        var rows = new Dictionary<RollupKey, (long Events, byte[]? Summary)>();

        RollupDeltas.AddTo(commit, rows);
        RollupDeltas.AddTo(commit, rows);

        Assert.Equal(2, rows.Count);
        Assert.Equal(4, rows[install].Events);
        Assert.Equal([(40L, 2L), (41L, 2L)], Read(RollupSummary.Values(rows[install].Summary, 7)));
        Assert.Equal([(350L, 2L)], Read(RollupSummary.Buckets(rows[install].Summary, 8)));
        Assert.Equal((4L, (byte[]?)null), rows[any]);
    }

    [Fact]
    public void AddTo_DayBeforeTheEpochAndLargeIds_ReadsBackTheSameKey()
    {
        var key = new RollupKey(Product: long.MaxValue, Name: 0, Day: -3, Context: 1L << 40, Install: 0);
        var rows = new Dictionary<RollupKey, (long Events, byte[]? Summary)>();

        RollupDeltas.AddTo(RollupDeltas.Encode(new Dictionary<RollupKey, RollupSummary> { [key] = new RollupSummary { Events = 1 } }), rows);

        Assert.Equal(key, Assert.Single(rows.Keys));
    }

    [Fact]
    public void RollupKey_SortsAsTheRollupsPrimaryKey_ProductNameDayContextInstall()
    {
        RollupKey[] keys =
        [
            new(2, 0, 1, 1, 1),
            new(1, 1, 0, 0, 0),
            new(1, 0, 2, 0, 0),
            new(1, 0, 1, 0, 9),
            new(1, 0, 1, 0, 2),
        ];

        Array.Sort(keys);

        Assert.Equal([new(1, 0, 1, 0, 2), new(1, 0, 1, 0, 9), new(1, 0, 2, 0, 0), new(1, 1, 0, 0, 0), new(2, 0, 1, 1, 1)], keys);
    }

    private static List<(long Key, long N)> Read(RollupSummary.EntryEnumerator entries)
    {
        var read = new List<(long, long)>();
        foreach (var entry in entries)
        {
            read.Add(entry);
        }

        return read;
    }
}
