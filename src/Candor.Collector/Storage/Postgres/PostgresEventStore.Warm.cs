using Candor.Manifest;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

// What the first dashboard page after a start would otherwise pay for, done in the background once the store has
// started (StorageOptions.WarmNewestDays): building the newest two days of every product from their rows, and
// compiling the code of a query over them. Nothing waits for it; a page that comes first builds what it needs as
// before, and what the warm-up holds is folded into by this collector's commits (PostgresRecentDays) like anything
// a query built.
internal sealed partial class PostgresEventStore
{
    private Task _warming = Task.CompletedTask;

    /// <summary>The warm-up begun at start (for tests).</summary>
    internal Task Warming => _warming;

    private async Task WarmNewestDaysAsync(CancellationToken cancellationToken)
    {
        try
        {
            var manifests = (await GetManifestsAsync(cancellationToken)).ToLookup(m => m.Product);
            await using var connection = await _readSource.OpenConnectionAsync(cancellationToken);
            var today = await ScalarAsync<DateOnly>(connection, null, "SELECT (now() AT TIME ZONE 'UTC')::date", cancellationToken);
            foreach (var (id, product) in await BusiestProductsAsync(connection, today, cancellationToken))
            {
                // Whole days, every name and part: which of them the first page reads is not known here. Yesterday
                // too when it is kept in the database: its next late event makes it a day to build again, unless
                // what is held here takes that event in.
                var ticket = _recent.BeginBuild();
                try
                {
                    foreach (var day in await PostgresDayRollups.BuildAsync(_readSource, _dataSource, id, [today.AddDays(-1), today], null, cancellationToken))
                    {
                        _recent.Hold(ticket, id, day, null);
                    }
                }
                finally
                {
                    _recent.EndBuild();
                }

                await CountAsync(WarmQueries(product, manifests[product].MaxBy(m => m.Revision), today), cancellationToken);
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or ManifestException or InvalidOperationException)
        {
            // The database is away or the store is stopping: the first page builds what it needs, as without this.
        }
    }

    // The products with the most events over those two days, as many as the held days have room for.
    private static async Task<List<(int Id, string Name)>> BusiestProductsAsync(NpgsqlConnection connection, DateOnly today, CancellationToken cancellationToken)
    {
        await using var busiest = new NpgsqlCommand("""
            SELECT p.id, p.name FROM products p
            JOIN (SELECT product, sum(n) AS events FROM rollup_events WHERE day >= @yesterday GROUP BY product) r ON r.product = p.id
            ORDER BY r.events DESC LIMIT @limit
            """, connection);
        busiest.Parameters.AddWithValue("yesterday", today.AddDays(-1));
        busiest.Parameters.AddWithValue("limit", PostgresRecentDays.MaxDays / 2);
        var products = new List<(int, string)>();
        await using var reader = await busiest.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            products.Add((reader.GetInt32(0), reader.GetString(1)));
        }

        return products;
    }

    // One query of each kind a page asks, over those two days, so that their code is compiled: counts by day, by a
    // context dimension, filtered on the context, and by a property and a duration of the product's first event
    // that has them.
    private static List<RollupQuery> WarmQueries(string product, ManifestRecord? manifest, DateOnly today)
    {
        var filter = new EventFilter(product, today.AddDays(-1), today);
        var queries = new List<RollupQuery>
        {
            RollupQuery.Events(filter, Interval.Day),
            RollupQuery.ByContext(filter, ContextDimension.Os),
            RollupQuery.Events(filter with { Os = "linux" }, Interval.Total),
        };
        var events = manifest is null ? [] : TelemetryManifest.Parse(manifest.Json).Events;
        if (events.FirstOrDefault(e => e.Fields.Any(f => !f.IsMeasurement)) is { } withProperty)
        {
            queries.Add(RollupQuery.ByProperty(filter with { Event = withProperty.Name }, withProperty.Fields.First(f => !f.IsMeasurement).Name));
        }

        if (events.FirstOrDefault(e => e.Fields.Any(f => f.Kind is FieldKind.Duration)) is { } withDuration)
        {
            queries.Add(RollupQuery.Histogram(filter with { Event = withDuration.Name }, withDuration.Fields.First(f => f.Kind is FieldKind.Duration).Name, Interval.Day));
        }

        return queries;
    }
}
