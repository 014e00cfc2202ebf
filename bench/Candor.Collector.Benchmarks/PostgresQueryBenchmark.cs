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
        var storeDays = Math.Clamp(args.Int("store-days", DatasetGenerator.Days), 1, DatasetGenerator.Days);
        var server = PostgresBench.ConnectionString(args);
        var schema = string.Create(CultureInfo.InvariantCulture, $"candor_bench_query_{events}");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var lastDay = today.AddDays(-1);
        Console.WriteLine($"Queries on PostgreSQL: {events:N0} events over {DatasetGenerator.Days} days in schema {schema}, {repeat} timed calls each");
        var connectionString = await EnsureAsync(server, schema, events, lastDay, storeDays);

        // The collector's retention job prepares the day rollups at its start too; doing it here first times it,
        // and keeps the timed calls from sharing the machine with it.
        // Opening the store applies the migrations a reused set made at an older schema is missing; timed, as it
        // is what the first collector of a new version does to a user's database before it stores anything.
        await using (var store = new PostgresEventStore(new StorageOptions { Provider = StorageOptions.Postgres, ConnectionString = connectionString }))
        {
            var from = await SchemaVersionAsync(connectionString);
            var opening = System.Diagnostics.Stopwatch.StartNew();
            await store.InitializeAsync(CancellationToken.None);
            Console.WriteLine($"  store opened in {opening.Elapsed.TotalSeconds:F1} s (schema {from} to {await SchemaVersionAsync(connectionString)}), load average {IngestionBenchmark.LoadAverage()}");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var prepared = await store.PrepareDayRollupsAsync(Workload.Product, lastDay.AddDays(-(DatasetGenerator.Days - 1)), today, CancellationToken.None);
            Console.WriteLine($"  {prepared:N0} day rollups (event names and days) prepared in {watch.Elapsed.TotalSeconds:F1} s, load average {IngestionBenchmark.LoadAverage()}");
        }

        var size = await PostgresBench.SizeAsync(connectionString);
        Console.WriteLine($"  size: events {size.EventBytes:N0} bytes for {size.Events:N0} rows = {(double)size.EventBytes / size.Events:F1} bytes per event with indexes; rollups {(double)size.RollupBytes / size.Events:F1} per event; day rollups {(double)size.DayRollupBytes / size.Events:F1}; together {(double)(size.EventBytes + size.RollupBytes + size.DayRollupBytes) / size.Events:F1}");

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

    // A finished set leaves a marker row naming its size and last day; anything else is made again. A set made at
    // an older schema version is kept: the collector migrates it when it opens it, as it would a user's database.
    // With storeDays under a year, only the first storeDays days go through the store; the rest of the year is
    // those days' rows again, shifted by whole blocks of storeDays days, inserted by the server (INSERT … SELECT
    // into the partitions, new event IDs): the same rows and rollup rows per day, loaded fast.
    private static async Task<string> EnsureAsync(string server, string schema, int events, DateOnly lastDay, int storeDays)
    {
        var expected = string.Create(CultureInfo.InvariantCulture, $"events={events} lastDay={lastDay:yyyy-MM-dd} storeDays={storeDays}");
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
            await DatasetGenerator.WriteAsync(store, events, lastDay, storeDays);
        }

        if (storeDays < DatasetGenerator.Days)
        {
            await ReplicateAsync(connectionString, lastDay, storeDays);
        }

        await PostgresBench.ExecuteAsync(connectionString, $"CREATE TABLE bench_dataset(marker text NOT NULL); INSERT INTO bench_dataset VALUES ('{expected}')");
        return connectionString;
    }

    private static async Task<int> SchemaVersionAsync(string connectionString) =>
        await PostgresBench.ScalarAsync<object>(connectionString, "SELECT to_regclass('candor_schema') IS NOT NULL") is true
            ? await PostgresBench.ScalarAsync<int>(connectionString, "SELECT COALESCE(MAX(version), 0) FROM candor_schema")
            : 0;

    private static async Task ReplicateAsync(string connectionString, DateOnly lastDay, int storeDays)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var firstDay = lastDay.AddDays(-(DatasetGenerator.Days - 1));
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString))
        {
            var months = Enumerable.Range(0, DatasetGenerator.Days).Select(firstDay.AddDays);
            await new PostgresPartitions(dataSource).EnsureAsync(months, CancellationToken.None);
        }

        var seedEnd = firstDay.AddDays(storeDays);
        var end = lastDay.AddDays(1);
        for (var offset = storeDays; offset < DatasetGenerator.Days; offset += storeDays)
        {
            var shift = string.Create(CultureInfo.InvariantCulture, $"{offset}");
            await PostgresBench.ExecuteAsync(connectionString, string.Create(CultureInfo.InvariantCulture, $"""
                INSERT INTO events(id, product, time, name, revision, install, context, data)
                  SELECT gen_random_uuid(), product, time + make_interval(days => {shift}), name, revision, install, context, data FROM events
                  WHERE time < '{seedEnd:yyyy-MM-dd} 00:00:00+00' AND time + make_interval(days => {shift}) < '{end:yyyy-MM-dd} 00:00:00+00';
                INSERT INTO rollup_events SELECT product, day + {shift}, name, context, install, n, summary FROM rollup_events
                  WHERE day < '{seedEnd:yyyy-MM-dd}' AND day + {shift} < '{end:yyyy-MM-dd}';
                INSERT INTO rollup_measures SELECT product, day + {shift}, name, field, context, bucket, n FROM rollup_measures
                  WHERE day < '{seedEnd:yyyy-MM-dd}' AND day + {shift} < '{end:yyyy-MM-dd}';
                """));
            Console.WriteLine($"  days {offset}..{Math.Min(offset + storeDays, DatasetGenerator.Days) - 1} copied from the first {storeDays} ({watch.Elapsed.TotalSeconds:F0} s)");
        }
    }
}
