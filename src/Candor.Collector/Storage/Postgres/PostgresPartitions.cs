using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The month partitions of the events table (by <c>time</c>), of the two rollup tables and of the day rollups
/// (by <c>day</c>).
/// A month's partitions are named <c>{table}_{yyyy}_{mm}</c> and hold <c>[first of the month, first of the next)</c>
/// in UTC. There is no DEFAULT partition: every month a row needs is created before the row is written
/// (<see cref="EnsureAsync"/>), so a row for a month without one fails loudly rather than landing in a catch-all
/// that a later month's partition would then have to be carved out of. Creation takes an advisory lock, so
/// collectors sharing the database create each partition once; retention drops whole partitions
/// (<see cref="DropBeforeAsync"/>) where it can.
/// </summary>
internal sealed class PostgresPartitions(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The partitioned tables and the column each is partitioned by; <c>rollup_values</c> is there for the migrations
    /// before schema 10, which dropped it (<see cref="CreateAsync"/> skips a table that does not exist).
    /// </summary>
    public static readonly (string Table, string Column)[] Tables =
        [("events", "time"), ("rollup_events", "day"), ("rollup_values", "day"), ("rollup_measures", "day"), ("day_rollups", "day")];

    /// <summary>The rollup tables and the day rollups built from them, partitioned by <c>day</c>.</summary>
    public static readonly string[] RollupTables = ["rollup_events", "rollup_measures", "day_rollups"];

    /// <summary>How many months after the current one are created ahead (at start and by the store's timer).</summary>
    public const int MonthsAhead = 2;

    // Months whose partitions this process knows exist in every table; a partition dropped since (by retention on
    // another collector) shows as a write that finds no partition, which forgets this and creates it again.
    private readonly ConcurrentDictionary<DateOnly, bool> _known = new();

    /// <summary>The first day of the month that holds <paramref name="day"/>.</summary>
    public static DateOnly MonthOf(DateOnly day) => new(day.Year, day.Month, 1);

    /// <summary>The current month and the <see cref="MonthsAhead"/> after it.</summary>
    public static IEnumerable<DateOnly> Ahead(DateTimeOffset now)
    {
        var month = MonthOf(DateOnly.FromDateTime(now.UtcDateTime));
        return Enumerable.Range(0, MonthsAhead + 1).Select(month.AddMonths);
    }

    /// <summary>The name of <paramref name="table"/>'s partition for <paramref name="month"/>.</summary>
    public static string Name(string table, DateOnly month) =>
        string.Create(CultureInfo.InvariantCulture, $"{table}_{month.Year:D4}_{month.Month:D2}");

    /// <summary>Forgets what this process knew exists, after a write found a month without its partition.</summary>
    public void Forget() => _known.Clear();

    /// <summary>Makes sure every table has a partition for each month (first days) given; cheap when this process made them already.</summary>
    public async Task EnsureAsync(IEnumerable<DateOnly> months, CancellationToken cancellationToken)
    {
        var missing = months.Select(MonthOf).Distinct().Where(m => !_known.ContainsKey(m)).Order().ToList();
        if (missing.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await CreateAsync(connection, transaction, missing, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var month in missing)
        {
            _known[month] = true;
        }
    }

    /// <summary>
    /// Creates the partitions of <paramref name="months"/> that do not exist yet, in the caller's transaction, under
    /// an advisory lock so that two collectors never create the same one at once (the second finds it made).
    /// </summary>
    public static async Task CreateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<DateOnly> months, CancellationToken cancellationToken)
    {
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey("partitions")})", connection, transaction))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (table, _) in Tables)
        {
            // A table a later migration makes gets its partitions there (an earlier migration calls this too).
            await using (var exists = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection, transaction))
            {
                exists.Parameters.AddWithValue("table", table);
                if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
                {
                    continue;
                }
            }

            var existing = (await ListAsync(connection, transaction, table, cancellationToken)).Select(p => p.Month).ToHashSet();
            foreach (var month in months.Where(m => !existing.Contains(m)))
            {
                var (from, to) = table == "events"
                    ? (Timestamp(month), Timestamp(month.AddMonths(1)))
                    : (Date(month), Date(month.AddMonths(1)));
                await using var create = new NpgsqlCommand(
                    $"CREATE TABLE IF NOT EXISTS {Name(table, month)} PARTITION OF {table} FOR VALUES FROM ('{from}') TO ('{to}')",
                    connection,
                    transaction);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    /// <summary>The partitions of <paramref name="table"/> (in the current schema) and the month each holds, oldest first.</summary>
    public static async Task<List<(string Name, DateOnly Month)>> ListAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        await using var list = new NpgsqlCommand(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(@table)",
            connection,
            transaction);
        list.Parameters.AddWithValue("table", table);
        var partitions = new List<(string, DateOnly)>();
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            var suffix = name[(table.Length + 1)..];
            if (DateOnly.TryParseExact(suffix, "yyyy'_'MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
            {
                partitions.Add((name, month));
            }
        }

        return [.. partitions.OrderBy(p => p.Item2)];
    }

    /// <summary>
    /// Drops each partition of <paramref name="tables"/> whose month ends on or before <paramref name="cutoff"/> and
    /// holds no row of another product than <paramref name="product"/> (a partition that does is left to the row
    /// deletion that follows, and dropped by the last product whose retention passes it). One transaction per month,
    /// which locks the tables' parents first, so that no collector writes into a partition between its check and its
    /// drop. Returns how many rows went with the dropped partitions.
    /// </summary>
    public async Task<long> DropBeforeAsync(string[] tables, int product, DateOnly cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var months = new SortedSet<DateOnly>();
        foreach (var table in tables)
        {
            months.UnionWith((await ListAsync(connection, null, table, cancellationToken)).Select(p => p.Month).Where(m => m.AddMonths(1) <= cutoff));
        }

        long dropped = 0;
        foreach (var month in months)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockParents = new NpgsqlCommand($"LOCK TABLE {string.Join(", ", tables)} IN ACCESS EXCLUSIVE MODE", connection, transaction))
            {
                await lockParents.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var table in tables)
            {
                var name = Name(table, month);
                if ((await ListAsync(connection, transaction, table, cancellationToken)).All(p => p.Name != name))
                {
                    continue;
                }

                await using var look = new NpgsqlCommand($"SELECT MIN(product), MAX(product), COUNT(*) FROM {name}", connection, transaction);
                await using (var reader = await look.ExecuteReaderAsync(cancellationToken))
                {
                    await reader.ReadAsync(cancellationToken);
                    var onlyThisProduct = reader.IsDBNull(0) || (reader.GetInt32(0) == product && reader.GetInt32(1) == product);
                    if (!onlyThisProduct)
                    {
                        continue;
                    }

                    dropped += reader.GetInt64(2);
                }

                await using var drop = new NpgsqlCommand($"DROP TABLE {name}", connection, transaction);
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            _known.TryRemove(month, out _);
        }

        return dropped;
    }

    private static string Timestamp(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00+00";

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
