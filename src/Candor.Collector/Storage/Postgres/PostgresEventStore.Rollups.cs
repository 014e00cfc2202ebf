using Candor.Collector.Storage.DayRollups;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

// The queries over the rollups, answered from day rollups as the SQLite store answers them (the same parts, the
// same tallies, see SqliteEventStore.Rollups): each query reads one part per event name and day, kept in the
// database (PostgresDayRollups) or built from that day's rollup rows, and adds it up; a batch reads each part once
// for every query that wants it.
internal sealed partial class PostgresEventStore
{
    public async Task<IReadOnlyList<PeriodCount>> CountEventsAsync(EventFilter filter, Interval interval, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.Events(filter, interval)], cancellationToken))[0].PeriodRows;

    public async Task<IReadOnlyList<GroupCount>> CountByPropertyAsync(EventFilter filter, string property, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.ByProperty(filter, property)], cancellationToken))[0].GroupRows;

    public async Task<IReadOnlyList<GroupCount>> CountByContextAsync(EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.ByContext(filter, dimension)], cancellationToken))[0].GroupRows;

    public async Task<IReadOnlyList<HistogramCount>> GetDurationHistogramAsync(EventFilter filter, string measurement, Interval interval, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.Histogram(filter, measurement, interval)], cancellationToken))[0].HistogramRows;

    // Queries of one product and range share one pass; a batch is usually one such group.
    public async Task<IReadOnlyList<RollupAnswer>> CountAsync(IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken)
    {
        await using var connection = await _readSource.OpenConnectionAsync(cancellationToken);
        var names = new PostgresRollupNames(_eventNames);
        var products = await names.FindAsync(connection, queries, cancellationToken);
        var contexts = await _contexts.RefreshAsync(connection, cancellationToken);
        var answers = new RollupAnswer[queries.Count];
        var tallies = new RollupTally[queries.Count];
        var done = new bool[queries.Count];
        for (var first = 0; first < queries.Count; first++)
        {
            if (done[first])
            {
                continue;
            }

            var filter = queries[first].Filter;
            var reads = new List<RollupRead>();
            var product = products.GetValueOrDefault(filter.Product);
            for (var i = first; i < queries.Count; i++)
            {
                var query = queries[i];
                if (done[i] || query.Filter.Product != filter.Product || query.Filter.From != filter.From || query.Filter.To != filter.To)
                {
                    continue;
                }

                done[i] = true;
                var tally = tallies[i] = RollupRead.Tally(query, contexts.Matching(query.Filter, names.Find), names.Find, contexts.Values);
                if (product is not null)
                {
                    RollupRead.Plan(reads, query, tally, names.Find, () => product.EventNames);
                }
            }

            if (product is not null && reads.Count > 0)
            {
                await VisitDaysAsync(connection, product.Id, filter.From, filter.To, reads, cancellationToken);
            }
        }

        foreach (var tally in tallies)
        {
            tally.Name(names);
        }

        await names.LookUpAsync(connection, cancellationToken);
        for (var i = 0; i < tallies.Length; i++)
        {
            answers[i] = tallies[i].Answer(names);
        }

        return answers;
    }

    // Newest week first (dashboards look at recent days); each week built in one snapshot and kept before the next.
    // Days not settled yet are left to the queries.
    public async Task<long> PrepareDayRollupsAsync(string product, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (await ScalarAsync<int?>(connection, null, "SELECT id FROM products WHERE name = @product", cancellationToken, ("product", product)) is not { } id)
        {
            return 0;
        }

        var state = await ReadDayStateAsync(connection, id, from, to, [(RollupRead.AnyEvent, DayRollup.TotalsPart)], cancellationToken);
        var missing = state.Days.Where(d => d.Settled && !state.IsBuilt(d.Day)).Select(d => d.Day).OrderDescending().ToArray();
        long built = 0;
        foreach (var chunk in missing.Chunk(PostgresDayRollups.DaysPerBuild))
        {
            var days = await PostgresDayRollups.BuildAsync(_readSource, _dataSource, id, chunk, null, cancellationToken);
            await PostgresDayRollups.KeepAsync(_dataSource, _partitions, id, days, cancellationToken);
            built += days.Where(d => !d.Empty).Sum(d => d.Parts.Count(p => p.Part == DayRollup.ContextsPart));
        }

        return built;
    }
}
