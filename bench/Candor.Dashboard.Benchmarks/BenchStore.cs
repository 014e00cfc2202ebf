using System.Globalization;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Collector.Storage.Sqlite;
using Npgsql;

namespace Candor.Dashboard.Benchmarks;

/// <summary>
/// Where the benchmark's events are kept: a SQLite data folder (the default), or, with <c>--postgres</c>, a
/// schema of its own on that PostgreSQL server. Either is filled once and marked, and reused while the marker says
/// it holds the same events.
/// </summary>
internal sealed class BenchStore(string data, string? postgres, long events, int installs)
{
    private string Schema => string.Create(CultureInfo.InvariantCulture, $"candor_bench_dashboard_{events}_{installs}");

    private string ConnectionString => new NpgsqlConnectionStringBuilder(postgres) { SearchPath = Schema, CommandTimeout = 0 }.ConnectionString;

    public string Description => postgres is null ? data : $"PostgreSQL schema {Schema}";

    // The stores that fill and prepare are not the collector and are closed at once: they warm nothing up.
    public StorageOptions Options(int maxEventsPerTransaction = 1_000) => postgres is null
        ? new StorageOptions { DataPath = data, FlushEachCommit = false, MaxEventsPerTransaction = maxEventsPerTransaction }
        : new StorageOptions { Provider = StorageOptions.Postgres, ConnectionString = ConnectionString, DataPath = data, MaxEventsPerTransaction = Math.Min(maxEventsPerTransaction, 5_000), WarmNewestDays = false };

    public static IEventStore Open(StorageOptions options) => options.UsesPostgres ? new PostgresEventStore(options) : new SqliteEventStore(options);

    /// <summary>The collector's command-line settings for this store.</summary>
    public string[] CollectorArguments => postgres is null
        ? ["--Storage:DataPath", data]
        : ["--Storage:DataPath", data, "--Storage:Provider", StorageOptions.Postgres, "--Storage:ConnectionString", ConnectionString];

    /// <summary>What the marker says (the first and last day), or null when the store is to be filled again.</summary>
    public async Task<string?> ReadMarkerAsync()
    {
        if (postgres is null)
        {
            var marker = Path.Combine(data, "seeded.txt");
            return File.Exists(marker) ? File.ReadAllText(marker).Trim() : null;
        }

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand($"SELECT to_regclass('{Schema}.bench_dashboard') IS NOT NULL", connection);
        if (await exists.ExecuteScalarAsync() is not true)
        {
            return null;
        }

        await using var read = new NpgsqlCommand($"SELECT marker FROM {Schema}.bench_dashboard", connection);
        return await read.ExecuteScalarAsync() as string;
    }

    /// <summary>Empties the store before it is filled.</summary>
    public async Task ClearAsync()
    {
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        Directory.CreateDirectory(data);
        if (postgres is not null)
        {
            await ExecuteAsync(postgres, $"DROP SCHEMA IF EXISTS {Schema} CASCADE; CREATE SCHEMA {Schema}");
        }
    }

    public async Task WriteMarkerAsync(string marker)
    {
        if (postgres is null)
        {
            File.WriteAllText(Path.Combine(data, "seeded.txt"), marker);
            return;
        }

        await ExecuteAsync(ConnectionString, $"CREATE TABLE bench_dashboard(marker text NOT NULL); INSERT INTO bench_dashboard VALUES ('{marker}')");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }
}
