using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Sqlite;
using Candor.Collector.Storage;

namespace Candor.Collector.Tests.Storage;

public class DayRollupTests
{
    [Fact]
    public void Totals_InstallInTwoContexts_IsCountedOnce()
    {
        var builder = new DayRollup.Builder();
        builder.Add(context: 5, install: 300, n: 2, Summary(values: [(7, 40)], buckets: [(9, 350)]));
        builder.Add(context: 5, install: 1, n: 1, Summary(values: [(7, 41)], buckets: []));
        builder.Add(context: 6, install: 300, n: 4, Summary(values: [(7, 40), (8, 2)], buckets: [(9, 350), (9, 351)]));

        var totals = new DayRollup.Totals(Part(builder.BuildParts(), DayRollup.TotalsPart));
        var installs = new InstallSet();
        DayRollup.AddInstalls(totals.Installs, installs);

        Assert.Equal(7, totals.Events);
        Assert.Equal(2, installs.Count);
        Assert.Equal([(350L, 2L), (351L, 1L)], Buckets(totals.Buckets(9)));
    }

    [Fact]
    public void FieldPart_HoldsEachValuesCountAndDistinctInstalls()
    {
        var builder = new DayRollup.Builder();
        builder.Add(context: 5, install: 3, n: 2, Summary(values: [(7, 40), (7, 40)], buckets: []));
        builder.Add(context: 6, install: 3, n: 1, Summary(values: [(7, 40)], buckets: []));
        builder.Add(context: 6, install: 4, n: 1, Summary(values: [(7, 41), (8, 1)], buckets: []));

        var parts = builder.BuildParts();

        Assert.Equal([(40L, 3L, 1), (41L, 1L, 1)], Values(Part(parts, 7), 7));
        Assert.Equal([(1L, 1L, 1)], Values(Part(parts, 8), 8));
    }

    [Fact]
    public void ContextsPart_KeepsEachContextApart()
    {
        var builder = new DayRollup.Builder();
        builder.Add(context: 6, install: 3, n: 1, Summary(values: [(7, 40)], buckets: [(9, 10)]));
        builder.Add(context: 5, install: 3, n: 2, Summary(values: [], buckets: []));
        builder.Add(context: 5, install: 8, n: 1, Summary(values: [], buckets: []));

        var reader = new DayRollup.Reader(Part(builder.BuildParts(), DayRollup.ContextsPart));
        var seen = new List<(long Context, long Events, int Installs, int Values, int Buckets)>();
        while (reader.MoveNext())
        {
            var installs = new InstallSet();
            DayRollup.AddInstalls(reader.Installs, installs);
            seen.Add((reader.Context, reader.Events, installs.Count, Values(reader.Values(7)).Count, Buckets(reader.Buckets(9)).Count));
        }

        Assert.Equal([(5L, 3L, 2, 0, 0), (6L, 1L, 1, 1, 1)], seen);
    }

    [Fact]
    public void Builder_ForOnePart_BuildsOnlyThatPart()
    {
        var builder = new DayRollup.Builder(only: 7);
        builder.Add(context: 5, install: 3, n: 1, Summary(values: [(7, 40), (8, 1)], buckets: []));

        var parts = builder.BuildParts();

        Assert.Equal([DayRollup.TotalsPart, 7L], parts.Select(p => p.Part).Order());
    }

    [Fact]
    public void WithoutContexts_BuildsTheTotalsAndEveryFieldAsTheFullBuilderDoes()
    {
        var full = new DayRollup.Builder();
        var lean = DayRollup.Builder.WithoutContexts();
        foreach (var builder in new[] { full, lean })
        {
            builder.Add(context: 6, install: 9, n: 1, Summary(values: [(7, 40), (8, 2)], buckets: [(9, 10)]));
            builder.Add(context: 5, install: 3, n: 2, Summary(values: [(7, 41)], buckets: [(9, 10), (9, 12)]));
            builder.Add(context: 5, install: 9, n: 1, Summary(values: [(7, 40)], buckets: []));
        }

        var parts = lean.BuildParts();

        Assert.Equal([DayRollup.TotalsPart, 7L, 8L], parts.Select(p => p.Part).Order());
        Assert.Equal(
            full.BuildParts().Where(p => p.Part != DayRollup.ContextsPart).OrderBy(p => p.Part).Select(p => Convert.ToHexString(p.Data)),
            parts.OrderBy(p => p.Part).Select(p => Convert.ToHexString(p.Data)));
    }

    [Fact]
    public void Parts_DoNotDependOnTheOrderOfTheRows()
    {
        var rows = new (long Context, long Install, long N, byte[] Summary)[]
        {
            (5, 3, 2, Summary(values: [(7, 40), (8, 1)], buckets: [(9, 350)])),
            (5, 8, 1, Summary(values: [(7, 41)], buckets: [(9, 351), (10, 2)])),
            (6, 3, 4, Summary(values: [(7, 40), (7, 42)], buckets: [(9, 350)])),
            (7, 1, 1, Summary(values: [], buckets: [])),
        };
        var forward = new DayRollup.Builder();
        var backward = new DayRollup.Builder();
        foreach (var row in rows)
        {
            forward.Add(row.Context, row.Install, row.N, row.Summary);
        }

        foreach (var row in rows.Reverse())
        {
            backward.Add(row.Context, row.Install, row.N, row.Summary);
        }

        Assert.Equal(
            forward.BuildParts().OrderBy(p => p.Part).Select(p => (p.Part, Convert.ToHexString(p.Data))),
            backward.BuildParts().OrderBy(p => p.Part).Select(p => (p.Part, Convert.ToHexString(p.Data))));
    }

    private static byte[] Summary((long Field, long Value)[] values, (long Field, int Bucket)[] buckets)
    {
        var summary = new RollupSummary();
        foreach (var (field, value) in values)
        {
            summary.AddValue(field, value);
        }

        foreach (var (field, bucket) in buckets)
        {
            summary.AddBucket(field, bucket);
        }

        return summary.Encode() ?? [];
    }

    private static byte[] Part(List<(long Part, byte[] Data)> parts, long part) => parts.Single(p => p.Part == part).Data;

    private static List<(long, long, int)> Values(byte[] part, long field) => Values(new DayRollup.ValueEnumerator(part, field));

    private static List<(long, long, int)> Values(DayRollup.ValueEnumerator values)
    {
        var read = new List<(long, long, int)>();
        while (values.MoveNext())
        {
            var installs = new InstallSet();
            DayRollup.AddInstalls(values.Installs, installs);
            read.Add((values.Value, values.Events, installs.Count));
        }

        return read;
    }

    private static List<(long, long)> Buckets(DayRollup.BucketEnumerator buckets)
    {
        var read = new List<(long, long)>();
        while (buckets.MoveNext())
        {
            read.Add((buckets.Bucket, buckets.Events));
        }

        return read;
    }
}
