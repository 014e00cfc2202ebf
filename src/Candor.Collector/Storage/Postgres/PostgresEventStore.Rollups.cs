using Npgsql;

namespace Candor.Collector.Storage.Postgres;

internal sealed partial class PostgresEventStore
{
    // ---- queries over the rollups -------------------------------------------------------------------------

    // The fingerprint of a set of installs is the XOR of a 64-bit hash of each install ID (see PeriodCount), and
    // the bound on one install's events adds up, per day, the largest count of one install in one context: the rows
    // of all event names are summed per install first, as the SQLite store's rows under every event's name are.
    private const string Fingerprint = "bit_xor(DISTINCT hashtextextended(r.install::text, 0))";

    public async Task<IReadOnlyList<PeriodCount>> CountEventsAsync(EventFilter filter, Interval interval, CancellationToken cancellationToken)
    {
        await using var cmd = _readSource.CreateCommand($"""
            WITH r AS (
              SELECT {PeriodExpression(interval)} AS period, day, context, install, SUM(n) AS n
              FROM rollup_events
              WHERE {RollupConditions(filter)}
              GROUP BY period, day, context, install),
            tops AS (SELECT period, day, MAX(n) AS top FROM r GROUP BY period, day)
            SELECT r.period, SUM(r.n)::bigint, COUNT(DISTINCT r.install), {Fingerprint},
              (SELECT SUM(t.top) FROM tops t WHERE t.period IS NOT DISTINCT FROM r.period)::bigint
            FROM r
            GROUP BY r.period ORDER BY r.period
            """);
        FilterSql.AddParameters(cmd, filter, Dialect);
        var rows = new List<PeriodCount>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PeriodCount(PeriodStart(reader, interval, filter), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    public async Task<IReadOnlyList<GroupCount>> CountByPropertyAsync(EventFilter filter, string property, CancellationToken cancellationToken)
    {
        // Ordered by code point ("C"), as SQLite compares text, whatever the database's collation.
        // A value's rows are kept per event name, so its bound adds up the largest row per event name and day.
        await using var cmd = _readSource.CreateCommand($"""
            WITH r AS (
              SELECT r.value, r.day, r.name, r.install, r.n
              FROM rollup_values r
              WHERE {RollupConditions(filter, "r.")} AND r.field = (SELECT id FROM strings WHERE key = @property)),
            tops AS (SELECT value, day, name, MAX(n) AS top FROM r GROUP BY value, day, name)
            SELECT s.value, SUM(r.n)::bigint AS events, COUNT(DISTINCT r.install), {Fingerprint},
              (SELECT SUM(t.top) FROM tops t WHERE t.value = r.value)::bigint
            FROM r JOIN strings s ON s.id = r.value
            GROUP BY r.value, s.value ORDER BY events DESC, s.value COLLATE "C"
            """);
        FilterSql.AddParameters(cmd, filter, Dialect);
        cmd.Parameters.AddWithValue("property", PostgresSchema.StringKey(property));
        return await ReadGroupsAsync(cmd, cancellationToken);
    }

    public async Task<IReadOnlyList<GroupCount>> CountByContextAsync(EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken)
    {
        // Interned dimensions are named through the strings table; the container flag is a bit of the context's flags.
        var column = ContextColumns.Interned(dimension);
        var value = column is null ? $"CASE WHEN c.flags & {PostgresSchema.ContainerFlag} <> 0 THEN 'true' ELSE 'false' END" : "COALESCE(s.value, '')";
        var join = column is null ? "" : $"LEFT JOIN strings s ON s.id = c.{column}";
        await using var cmd = _readSource.CreateCommand($"""
            WITH r AS (
              SELECT {value} AS grp, r.day, r.context, r.install, SUM(r.n) AS n
              FROM rollup_events r JOIN contexts c ON c.id = r.context {join}
              WHERE {RollupConditions(filter, "r.")}
              GROUP BY grp, r.day, r.context, r.install),
            tops AS (SELECT grp, day, MAX(n) AS top FROM r GROUP BY grp, day)
            SELECT r.grp, SUM(r.n)::bigint AS events, COUNT(DISTINCT r.install), {Fingerprint},
              (SELECT SUM(t.top) FROM tops t WHERE t.grp = r.grp)::bigint
            FROM r
            GROUP BY r.grp ORDER BY events DESC, r.grp COLLATE "C"
            """);
        FilterSql.AddParameters(cmd, filter, Dialect);
        return await ReadGroupsAsync(cmd, cancellationToken);
    }

    // Each query is one SQL statement that PostgreSQL plans and runs over its own rollup rows; there is no day
    // rollup here to share between them.
    public Task<IReadOnlyList<RollupAnswer>> CountAsync(IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken) =>
        RollupQuery.AnswerEachAsync(this, queries, cancellationToken);

    public async Task<IReadOnlyList<HistogramCount>> GetDurationHistogramAsync(EventFilter filter, string measurement, Interval interval, CancellationToken cancellationToken)
    {
        await using var cmd = _readSource.CreateCommand($"""
            SELECT {PeriodExpression(interval)} AS period, bucket, SUM(n)::bigint
            FROM rollup_measures
            WHERE {RollupConditions(filter)} AND field = (SELECT id FROM strings WHERE key = @measurement)
            GROUP BY period, bucket ORDER BY period, bucket
            """);
        FilterSql.AddParameters(cmd, filter, Dialect);
        cmd.Parameters.AddWithValue("measurement", PostgresSchema.StringKey(measurement));
        var rows = new List<HistogramCount>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new HistogramCount(PeriodStart(reader, interval, filter), reader.GetInt32(1), reader.GetInt64(2)));
        }

        return rows;
    }

    private static async Task<IReadOnlyList<GroupCount>> ReadGroupsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var rows = new List<GroupCount>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new GroupCount(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    private static string RollupConditions(EventFilter filter, string alias = "") =>
        $"""
        {alias}product = (SELECT id FROM products WHERE name = @product)
          AND {alias}day BETWEEN @fromDay AND @toDay
          {FilterSql.EventCondition(filter, alias + "name", Dialect)}
          AND {FilterSql.ContextCondition(filter, alias + "context", Dialect)}
        """;

    // Days are plain dates and are truncated as timestamps without a time zone, so the session's TimeZone setting
    // cannot shift a period. Weeks start on Monday (ISO), as in the SQLite store.
    private static string PeriodExpression(Interval interval) => interval switch
    {
        Interval.Day => "day",
        Interval.Week => "date_trunc('week', day::timestamp)::date",
        Interval.Month => "date_trunc('month', day::timestamp)::date",
        _ => "NULL::date",
    };

    private static DateOnly PeriodStart(NpgsqlDataReader reader, Interval interval, EventFilter filter) =>
        interval is Interval.Total ? filter.From : reader.GetFieldValue<DateOnly>(0);

    // Its queries aggregate the rollup rows in the database; there is nothing to prepare.
    public Task<long> PrepareDayRollupsAsync(string product, DateOnly from, DateOnly to, CancellationToken cancellationToken) => Task.FromResult(0L);
}
