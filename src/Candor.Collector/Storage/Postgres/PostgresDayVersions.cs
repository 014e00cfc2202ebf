using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// When a day's rollup rows changed, so that a day rollup built before no longer counts. A day has a version in
/// <c>day_versions</c> (none counts as 0), taken from one sequence, so a version never names two states of a day.
/// <para>
/// Only what changes a day after it ended gets a new version: a late event (a batch with events of a day before
/// the database's current UTC day, in the writing transaction), and a deletion. Today's events, nearly every
/// event, write nothing here, so the collectors' transactions do not queue for one hot row. In exchange a day is
/// built for keeping only once it is <em>settled</em>: an hour past its end on the database's clock, when every
/// transaction that began during it has long committed; until then a query builds what it reads from the rows.
/// One clock (the database's) decides both, so the collectors' clocks do not have to agree.
/// </para>
/// </summary>
internal static class PostgresDayVersions
{
    /// <summary>SQL: whether the day <c>{day}</c> is settled (see the class).</summary>
    public static string IsSettled(string day) => $"(now() AT TIME ZONE 'UTC') >= ({day} + 1)::timestamp + interval '1 hour'";

    /// <summary>
    /// SQL: each of the product's days <c>@days</c> (<c>@product</c>), ascending, with its version, whether it is
    /// settled, its stamp, and the database's current UTC day.
    /// </summary>
    /// <remarks>
    /// A day not settled yet changes without a new version (today's events write none), so its version alone does
    /// not tell whether something built from its rows is still current; its <em>stamp</em> does, with the version:
    /// the sum of its <c>rollup_events</c> counts, which every stored event raises by one, and which only a deletion,
    /// which gives the day a new version, lowers. A settled day's stamp is 0: its version says it all.
    /// </remarks>
    // The stamps are summed in one subquery, not one per day: a correlated subquery over the partitioned table took
    // 75-300 ms to start on every query. Its bound is "not settled" in a form that prunes every older month (a
    // list of the range's days would cost more to plan than the sum); the join drops days outside the range.
    public static readonly string DaysSql = $"""
        SELECT d.day, COALESCE(v.version, 0), {IsSettled("d.day")}, COALESCE(t.stamp, 0), (now() AT TIME ZONE 'UTC')::date
        FROM unnest(@days) AS d(day)
        LEFT JOIN day_versions v ON v.product = @product AND v.day = d.day
        LEFT JOIN (
          SELECT r.day, sum(r.n)::bigint AS stamp FROM rollup_events r
          WHERE r.product = @product AND r.day >= ((now() AT TIME ZONE 'UTC') - interval '1 hour')::date
          GROUP BY r.day) t ON t.day = d.day
        ORDER BY d.day
        """;

    /// <summary>
    /// The hook of the events' transaction: gives every day of <paramref name="days"/> that ended before the
    /// transaction began a new version, in the caller's transaction, and returns each such day's version before and
    /// after (before: null when the day had no row). Sorted, so two collectors lock the rows in the same order; the
    /// rows there are locked first, so the version before is the one this change replaced.
    /// </summary>
    public static async Task<List<(int Product, DateOnly Day, long? Old, long New)>> MarkChangedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<(int Product, DateOnly Day)> days, CancellationToken cancellationToken)
    {
        var distinct = days.Distinct().ToArray();
        await using var mark = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new("""
                    SELECT v.product, v.day, v.version FROM day_versions v
                    WHERE (v.product, v.day) IN (SELECT * FROM unnest(@product, @day)) AND v.day < (now() AT TIME ZONE 'UTC')::date
                    ORDER BY v.product, v.day
                    FOR UPDATE
                    """),
                new("""
                    INSERT INTO day_versions AS v(product, day, version)
                    SELECT product, day, nextval('day_version_numbers') FROM unnest(@product, @day) AS u(product, day)
                    WHERE day < (now() AT TIME ZONE 'UTC')::date
                    ORDER BY product, day
                    ON CONFLICT (product, day) DO UPDATE SET version = excluded.version
                    RETURNING product, day, version
                    """),
            },
        };
        foreach (NpgsqlBatchCommand command in mark.BatchCommands)
        {
            command.Parameters.Add(new NpgsqlParameter("product", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = Array.ConvertAll(distinct, d => d.Product) });
            command.Parameters.Add(new NpgsqlParameter("day", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = Array.ConvertAll(distinct, d => d.Day) });
        }

        var before = new Dictionary<(int Product, DateOnly Day), long>();
        var changed = new List<(int Product, DateOnly Day, long? Old, long New)>();
        await using var reader = await mark.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            before[(reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1))] = reader.GetInt64(2);
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1));
            changed.Add((key.Item1, key.Item2, before.TryGetValue(key, out var old) ? old : null, reader.GetInt64(2)));
        }

        return changed;
    }

    /// <summary>Gives each of the product's <paramref name="days"/> a new version, whether it ended or not (a deletion changed them).</summary>
    public static async Task TouchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int product, DateOnly[] days, CancellationToken cancellationToken)
    {
        await using var touch = new NpgsqlCommand("""
            INSERT INTO day_versions AS v(product, day, version)
            SELECT @product, day, nextval('day_version_numbers') FROM unnest(@days) AS day ORDER BY day
            ON CONFLICT (product, day) DO UPDATE SET version = excluded.version
            """, connection, transaction);
        touch.Parameters.AddWithValue("product", product);
        touch.Parameters.Add(new NpgsqlParameter("days", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = days });
        await touch.ExecuteNonQueryAsync(cancellationToken);
    }
}
