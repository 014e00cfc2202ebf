using System.Globalization;
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
    /// The CPU time the database server's processes have used so far (the postmaster's children: every connection's
    /// backend, the WAL writer, the checkpointer, autovacuum, the WAL sender of a replica), read from <c>/proc</c>;
    /// <see langword="null"/> when the server does not run on this machine (or this is not Linux). A connection that
    /// ends takes its time with it, so read it while the connections that worked are still open.
    /// </summary>
    public static async Task<TimeSpan?> ServerCpuAsync(string connectionString)
    {
        var backend = await ScalarAsync<int>(connectionString, "SELECT pg_backend_pid()");
        if (Stat(backend) is not { } own)
        {
            return null;
        }

        var postmaster = own.Parent;
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Stat(pid) is { } stat && (stat.Parent == postmaster || pid == postmaster))
            {
                ticks += stat.Ticks;
            }
        }

        // Clock ticks of 1/100 s, as the kernel reports them to user space on Linux.
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    // The parent and the user and system CPU ticks of a process, from /proc/<pid>/stat (the fields after the name,
    // which is in parentheses and may hold spaces).
    private static (int Parent, long Ticks)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
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
