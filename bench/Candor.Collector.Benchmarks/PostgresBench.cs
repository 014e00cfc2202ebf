using Npgsql;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// The PostgreSQL server the benchmarks use (<c>--postgres</c>, else <c>CANDOR_BENCH_POSTGRES</c>, else the local
/// test server), a schema of their own in it, and what the store's tables take on disk.
/// </summary>
internal static class PostgresBench
{
    public const string DefaultConnectionString = "Host=127.0.0.1;Username=postgres;Password=postgres";

    public static string ConnectionString(Arguments args) =>
        args.Text("postgres") ?? Environment.GetEnvironmentVariable("CANDOR_BENCH_POSTGRES") ?? DefaultConnectionString;

    /// <summary>A connection string whose search path is <paramref name="schema"/>.</summary>
    public static string InSchema(string server, string schema) =>
        new NpgsqlConnectionStringBuilder(server) { SearchPath = schema, CommandTimeout = 0 }.ConnectionString;

    /// <summary>Makes <paramref name="schema"/> empty (dropping whatever it held) and returns a connection string into it.</summary>
    public static async Task<string> FreshSchemaAsync(string server, string schema)
    {
        await ExecuteAsync(server, $"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
        return InSchema(server, schema);
    }

    public static Task DropSchemaAsync(string server, string schema) => ExecuteAsync(server, $"DROP SCHEMA IF EXISTS {schema} CASCADE");

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// The milliseconds the database's connections have spent executing statements (<c>pg_stat_database.active_time</c>,
    /// summed over connections; waits for locks and for a core included), read once every connection that worked
    /// has ended: a connection reports its time when it ends, and at most once a second while it works.
    /// </summary>
    public static async Task<double> ActiveTimeAsync(string connectionString)
    {
        await Task.Delay(TimeSpan.FromSeconds(2));
        return await ScalarAsync<double>(connectionString, "SELECT active_time FROM pg_stat_database WHERE datname = current_database()");
    }

    /// <summary>
    /// Bytes on disk (tables, indexes and TOAST, <c>pg_total_relation_size</c> of every partition) of the events
    /// table, of the two rollup tables and of the day rollups, and the events' row count.
    /// </summary>
    public static async Task<(long Events, long EventBytes, long RollupBytes, long DayRollupBytes)> SizeAsync(string connectionString)
    {
        await ExecuteAsync(connectionString, "VACUUM ANALYZE events, rollup_events, rollup_measures");
        var dayRollupBytes = await ScalarAsync<object>(connectionString, "SELECT to_regclass('day_rollups') IS NOT NULL") is true
            ? await ScalarAsync<decimal>(connectionString, $"SELECT {Size("day_rollups")}")
            : 0;
        var rows = await ScalarAsync<long>(connectionString, "SELECT COUNT(*) FROM events");
        var eventBytes = await ScalarAsync<decimal>(connectionString, $"SELECT {Size("events")}");
        var rollupBytes = await ScalarAsync<decimal>(connectionString, $"SELECT {Size("rollup_events")} + {Size("rollup_measures")}");
        return (rows, (long)eventBytes, (long)rollupBytes, (long)dayRollupBytes);
    }

    /// <summary>
    /// Where the events' bytes are (after <see cref="SizeAsync"/>): the table itself (with its free space and visibility
    /// maps), its indexes, and the packed properties' average length, so each lever on the size can be told apart.
    /// </summary>
    public static async Task<(long TableBytes, long IndexBytes, double DataBytes)> EventSharesAsync(string connectionString)
    {
        var table = await ScalarAsync<decimal>(connectionString, "SELECT COALESCE(SUM(pg_table_size(relid)), 0) FROM pg_partition_tree('events') WHERE isleaf");
        var indexes = await ScalarAsync<decimal>(connectionString, "SELECT COALESCE(SUM(pg_indexes_size(relid)), 0) FROM pg_partition_tree('events') WHERE isleaf");
        var data = await ScalarAsync<decimal>(connectionString, "SELECT COALESCE(AVG(COALESCE(octet_length(data), 0)), 0) FROM events");
        return ((long)table, (long)indexes, (double)data);
    }

    private static string Size(string table) =>
        $"(SELECT COALESCE(SUM(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('{table}') WHERE isleaf)";
}
