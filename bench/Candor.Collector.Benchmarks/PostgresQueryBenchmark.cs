using System.Globalization;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// <see cref="QueryBenchmark"/> on PostgreSQL: the same year of synthetic events (10 million by default), written
/// through the collector's own <see cref="PostgresEventStore"/> into a schema of their own (kept, with a marker,
/// for later runs), then every query API call timed over HTTP against a collector process on that schema.
/// </summary>
internal static class PostgresQueryBenchmark
{
    public static async Task RunAsync(Arguments args)
    {
        var events = args.Int("events", 10_000_000);
        var repeat = args.Int("repeat", 30);
        var server = PostgresBench.ConnectionString(args);
        var schema = string.Create(CultureInfo.InvariantCulture, $"candor_bench_query_{events}");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var lastDay = today.AddDays(-1);
        Console.WriteLine($"Queries on PostgreSQL: {events:N0} events over {DatasetGenerator.Days} days in schema {schema}, {repeat} timed calls each");
        var connectionString = await EnsureAsync(server, schema, events, lastDay);

        var size = await PostgresBench.SizeAsync(connectionString);
        Console.WriteLine($"  size: events {size.EventBytes:N0} bytes for {size.Events:N0} rows = {(double)size.EventBytes / size.Events:F1} bytes per event with indexes; rollups {(double)size.RollupBytes / size.Events:F1} per event; together {(double)(size.EventBytes + size.RollupBytes) / size.Events:F1}");

        var dataPath = Directory.CreateTempSubdirectory("candor-bench-query-pg-").FullName;
        try
        {
            await using var collector = await CollectorProcess.StartAsync(dataPath, new Dictionary<string, string>
            {
                ["Ingestion:PermitsPerAddress"] = "100000000",
                ["Storage:Provider"] = "postgres",
                ["Storage:ConnectionString"] = connectionString,
            });
            await QueryBenchmark.TimeCallsAsync(collector, lastDay, today, repeat);
            await collector.StopAsync();
        }
        finally
        {
            Directory.Delete(dataPath, recursive: true);
        }
    }

    // A finished set leaves a marker row naming its size, last day and schema version; anything else is made again.
    private static async Task<string> EnsureAsync(string server, string schema, int events, DateOnly lastDay)
    {
        var expected = string.Create(CultureInfo.InvariantCulture, $"events={events} lastDay={lastDay:yyyy-MM-dd} schema={PostgresSchema.Latest}");
        var connectionString = PostgresBench.InSchema(server, schema);
        var found = await PostgresBench.ScalarAsync<object>(server, $"SELECT to_regclass('{schema}.bench_dataset') IS NOT NULL") is true
            ? await PostgresBench.ScalarAsync<object>(connectionString, "SELECT marker FROM bench_dataset") as string
            : null;
        if (found == expected)
        {
            Console.WriteLine($"  reusing the data set in schema {schema} ({expected})");
            return connectionString;
        }

        connectionString = await PostgresBench.FreshSchemaAsync(server, schema);
        var options = new StorageOptions { Provider = StorageOptions.Postgres, ConnectionString = connectionString, MaxEventsPerTransaction = DatasetGenerator.ChunkEvents };
        await using (var store = new PostgresEventStore(options))
        {
            await store.InitializeAsync(CancellationToken.None);
            await DatasetGenerator.WriteAsync(store, events, lastDay);
        }

        await PostgresBench.ExecuteAsync(connectionString, $"CREATE TABLE bench_dataset(marker text NOT NULL); INSERT INTO bench_dataset VALUES ('{expected}')");
        return connectionString;
    }
}
