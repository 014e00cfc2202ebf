using System.Globalization;
using Candor.Collector.Storage.DayRollups;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Candor.Collector.Storage.Sqlite;

// The queries over the rollups. Every query reads one part of a day rollup (DayRollup) per event name and day and
// adds it up in a tally, distinct installs in bitsets: its cost follows days and values, not the per-install rows
// behind them. A filter on the context, and grouping by it, read the contexts part; everything else reads the
// whole day's totals or one property's part.
//
// A batch of queries (a dashboard page asks about thirty) is answered in one pass: each part of each day is read
// (or built) once and handed to every tally that wants it. The single query methods are batches of one, so the
// query API and the dashboard count with the same code. The pass is plain loops over a few non-generic tallies:
// a page computed right after a start runs all of it for the first time, and compiling many generic, async and
// LINQ methods then cost more than the counting.
internal sealed partial class SqliteEventStore
{
    public async Task<IReadOnlyList<PeriodCount>> CountEventsAsync(EventFilter filter, Interval interval, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.Events(filter, interval)], cancellationToken))[0].PeriodRows;

    public async Task<IReadOnlyList<GroupCount>> CountByPropertyAsync(EventFilter filter, string property, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.ByProperty(filter, property)], cancellationToken))[0].GroupRows;

    public async Task<IReadOnlyList<GroupCount>> CountByContextAsync(EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.ByContext(filter, dimension)], cancellationToken))[0].GroupRows;

    public async Task<IReadOnlyList<HistogramCount>> GetDurationHistogramAsync(EventFilter filter, string measurement, Interval interval, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.Histogram(filter, measurement, interval)], cancellationToken))[0].HistogramRows;

    // Queries of one product and range share one read snapshot and one pass; a batch is usually one such group.
    public async Task<IReadOnlyList<RollupAnswer>> CountAsync(IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        var answers = new RollupAnswer[queries.Count];
        var tallies = new RollupTally[queries.Count];
        var strings = new Strings(connection);
        var done = new bool[queries.Count];
        for (var first = 0; first < queries.Count; first++)
        {
            if (done[first])
            {
                continue;
            }

            var filter = queries[first].Filter;
            var fromDay = SqliteSchema.DayNumber(filter.From);
            var toDay = SqliteSchema.DayNumber(filter.To);
            var reads = new List<RollupRead>();
            var matches = new List<ContextMatch>();
            var dimensions = new Dictionary<long, long>?[Enum.GetValues<ContextDimension>().Length];
            List<DayRollupRow> built;
            using (var snapshot = connection.BeginTransaction(deferred: true))
            {
                var product = Scalar(connection, "SELECT id FROM products WHERE name = $value", filter.Product);
                List<long>? everyName = null;
                for (var i = first; i < queries.Count; i++)
                {
                    var query = queries[i];
                    if (done[i] || query.Filter.Product != filter.Product || query.Filter.From != filter.From || query.Filter.To != filter.To)
                    {
                        continue;
                    }

                    done[i] = true;
                    var contexts = MatchingContexts(connection, query.Filter, matches, cancellationToken);
                    var tally = tallies[i] = RollupRead.Tally(query, contexts, strings.Find, dimension => ContextValues(connection, dimension, dimensions, cancellationToken));
                    if (product is { } productId)
                    {
                        RollupRead.Plan(reads, query, tally, strings.Find, () => everyName ??= EventNames(connection, productId));
                    }
                }

                built = product is { } id ? VisitDays(connection, id, fromDay, toDay, reads, preparing: false, cancellationToken) : [];
                snapshot.Commit();
            }

            _ = Keep(built);
        }

        for (var i = 0; i < tallies.Length; i++)
        {
            tallies[i].Name(strings);
        }

        strings.LookUp(cancellationToken);
        for (var i = 0; i < tallies.Length; i++)
        {
            answers[i] = tallies[i].Answer(strings);
        }

        return answers;
    }

    // A month at a time, newest first (dashboards look at recent days), each in its own read snapshot, waiting
    // for the writer to keep one month before building the next.
    public async Task<long> PrepareDayRollupsAsync(string product, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        long built = 0;
        for (var end = to; end >= from; end = end.AddDays(-30))
        {
            var start = end.AddDays(-29) < from ? from : end.AddDays(-29);
            List<DayRollupRow> rows;
            using (var snapshot = connection.BeginTransaction(deferred: true))
            {
                if (Scalar(connection, "SELECT id FROM products WHERE name = $value", product) is not { } id)
                {
                    return built;
                }

                var reads = new List<RollupRead> { new(RollupRead.AnyEvent, DayRollup.TotalsPart) };
                foreach (var name in EventNames(connection, id))
                {
                    reads.Add(new RollupRead(name, DayRollup.TotalsPart));
                }

                rows = VisitDays(connection, id, SqliteSchema.DayNumber(start), SqliteSchema.DayNumber(end), reads, preparing: true, cancellationToken);
                snapshot.Commit();
            }

            await Keep(rows).WaitAsync(cancellationToken);
            foreach (var row in rows)
            {
                built += row.Part == DayRollup.ContextsPart ? 1 : 0;
            }
        }

        return built;
    }

    // The contexts the filter's version, OS and CI conditions select (null when it has none), looked up once per
    // batch for each combination its queries use.
    private static HashSet<long>? MatchingContexts(SqliteConnection connection, EventFilter filter, List<ContextMatch> matches, CancellationToken cancellationToken)
    {
        if (FilterSql.ContextConditions(filter, SqliteDialect.Instance) is not { } conditions)
        {
            return null;
        }

        foreach (var match in matches)
        {
            if (match.Version == filter.Version && match.Os == filter.Os && match.Ci == filter.Ci)
            {
                return match.Contexts;
            }
        }

        var contexts = new HashSet<long>();
        Scan(
            connection,
            $"SELECT id FROM contexts WHERE {conditions}",
            cmd =>
            {
                if (filter.Version is not null)
                {
                    cmd.Parameters.AddWithValue("$version", filter.Version);
                }

                if (filter.Os is not null)
                {
                    cmd.Parameters.AddWithValue("$os", filter.Os);
                }
            },
            row => contexts.Add(row.Long(0)),
            cancellationToken);
        matches.Add(new ContextMatch(filter.Version, filter.Os, filter.Ci, contexts));
        return contexts;
    }

    // Each context's value of one dimension: interned dimensions by their string ID (named afterwards), the
    // container flag as 1 and 0 (named "true" and "false").
    private static Dictionary<long, long> ContextValues(SqliteConnection connection, ContextDimension dimension, Dictionary<long, long>?[] known, CancellationToken cancellationToken)
    {
        if (known[(int)dimension] is { } values)
        {
            return values;
        }

        var column = ContextColumns.Interned(dimension) ?? $"(flags & {SqliteSchema.ContainerFlag}) <> 0";
        var found = known[(int)dimension] = [];
        Scan(connection, $"SELECT id, {column} FROM contexts", _ => { }, row => found[row.Long(0)] = row.Long(1), cancellationToken);
        return found;
    }

    private static long? Scalar(SqliteConnection connection, string sql, object value)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$value", value);
        return cmd.ExecuteScalar() as long?;
    }

    // The product's event names that have rollup rows, one B-tree seek each: SELECT DISTINCT would read every row.
    private static List<long> EventNames(SqliteConnection connection, long product)
    {
        var names = new List<long>();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT MIN(name) FROM rollups WHERE product = $product AND name > $after";
        cmd.Parameters.AddWithValue("$product", product);
        var after = cmd.Parameters.AddWithValue("$after", SqliteSchema.AnyEvent);
        while (cmd.ExecuteScalar() is long name)
        {
            names.Add(name);
            after.Value = name;
        }

        return names;
    }

    /// <summary>The contexts that one combination of version, OS and CI filters selects.</summary>
    private sealed record ContextMatch(string? Version, string? Os, bool? Ci, HashSet<long> Contexts);
}
