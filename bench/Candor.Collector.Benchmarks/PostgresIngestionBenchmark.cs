using System.Diagnostics;
using Candor.Collector.Storage.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// Ingestion into PostgreSQL: the same request bodies as <see cref="IngestionBenchmark"/>, posted to one collector
/// process and then to two collector processes sharing one database (each run in a fresh schema); then, in the
/// same run, the storage limit: the rows the one-collector run stored, copied with a plain binary <c>COPY</c> into
/// a fresh schema of the same layout (partitions and indexes), in transactions as large as the collector's.
/// Interning, rollups, de-duplication, HTTP and validation are the collector's cost on top of the copy.
/// Finally the bytes per event the one-collector run's tables take.
/// </summary>
internal static class PostgresIngestionBenchmark
{
    private const string Schema = "candor_bench_ingest";
    private const string LimitSchema = "candor_bench_ingest_copy";

    public static async Task RunAsync(Arguments args)
    {
        var events = args.Int("events", 400_000);
        var connections = args.Int("connections", 4);
        var seconds = args.Int("seconds", 120);
        var warmupEvents = args.Int("warmup", 50_000);
        var server = PostgresBench.ConnectionString(args);
        var folder = Directory.CreateTempSubdirectory("candor-bench-ingest-pg-").FullName;
        try
        {
            Console.WriteLine($"Ingestion into PostgreSQL: {events:N0} events in batches of {IngestionBenchmark.EventsPerBatch}, {connections} connections per collector, at most {seconds} s, after {warmupEvents:N0} untimed");
            var now = DateTimeOffset.UtcNow;
            var workload = new Workload(installs: 20_000, DateOnly.FromDateTime(now.UtcDateTime).AddDays(-7));
            var arrival = new List<Guid>();
            var warmup = IngestionBenchmark.BuildBodies(workload, warmupEvents, now, seed: 1, []);
            var bodies = IngestionBenchmark.BuildBodies(workload, events, now, seed: 2, arrival);

            var (one, oneDatabase) = await RunCollectorsAsync(1, folder, server, args, warmup, bodies, connections, seconds);
            var stored = await ReadRowsAsync(PostgresBench.InSchema(server, Schema));
            var size = await PostgresBench.SizeAsync(PostgresBench.InSchema(server, Schema));
            var shares = await PostgresBench.EventSharesAsync(PostgresBench.InSchema(server, Schema));
            var (two, twoDatabase) = await RunCollectorsAsync(2, folder, server, args, warmup, bodies, connections, seconds);
            await PostgresBench.DropSchemaAsync(server, Schema);

            var rows = arrival.Where(stored.ContainsKey).Select(id => stored[id]).ToList();
            var (copied, elapsed, copyDatabase) = await CopyAsync(server, rows);
            var copyRate = copied / elapsed.TotalSeconds;
            Console.WriteLine($"  COPY limit: {copied:N0} rows in {elapsed.TotalSeconds:F1} s = {copyRate:N0} rows/s (binary COPY, {StorageLimit.RowsPerTransaction:N0} rows per transaction)");
            Console.WriteLine($"  database server CPU per event: one collector {oneDatabase:F1} µs, two collectors {twoDatabase:F1} µs, COPY {copyDatabase:F1} µs per row; COPY's against one collector's: {copyDatabase / oneDatabase:P0}");
            Console.WriteLine($"  one collector / COPY: {one / copyRate:P0}; two collectors / COPY: {two / copyRate:P0} (goal: at least 50%)");
            Console.WriteLine($"  size: events {size.EventBytes:N0} bytes for {size.Events:N0} rows = {(double)size.EventBytes / size.Events:F1} bytes per event with indexes (goal: under 150); rollups {size.RollupBytes:N0} bytes = {(double)size.RollupBytes / size.Events:F1} per event; together {(double)(size.EventBytes + size.RollupBytes) / size.Events:F1}");
            Console.WriteLine($"  events per row: table {(double)shares.TableBytes / size.Events:F1} bytes, indexes {(double)shares.IndexBytes / size.Events:F1} bytes; packed properties {shares.DataBytes:F1} bytes on average");
        }
        finally
        {
            await PostgresBench.DropSchemaAsync(server, LimitSchema);
            Directory.Delete(folder, recursive: true);
        }
    }

    // Collector processes on one fresh schema: the first registers the product and key, the others start after it
    // and read them at start. Returns the events per second the timed run stored, and the database server's CPU per
    // event (NaN when the server is not on this machine).
    private static async Task<(double Rate, double DatabaseMicroseconds)> RunCollectorsAsync(
        int count, string folder, string server, Arguments args, List<byte[]> warmup, List<byte[]> bodies, int connections, int seconds)
    {
        var connectionString = await PostgresBench.FreshSchemaAsync(server, Schema);
        var settings = CollectorProcess.LoadSettings(args);
        settings["Storage:Provider"] = "postgres";
        settings["Storage:ConnectionString"] = connectionString;
        var collectors = new List<CollectorProcess>();
        var clients = new List<HttpClient>();
        try
        {
            string? key = null;
            for (var i = 0; i < count; i++)
            {
                var dataPath = Path.Combine(folder, $"data-{count}-{i}");
                Directory.CreateDirectory(dataPath);
                var collector = await CollectorProcess.StartAsync(dataPath, settings);
                collectors.Add(collector);
                key ??= await collector.RegisterAsync();
                clients.Add(collector.Client(connections));
            }

            Console.WriteLine($"  {count} collector process(es) {string.Join(", ", collectors.Select(c => $"{c.Id} at {c.BaseAddress}"))}");
            var total = connections * count;
            await IngestionBenchmark.PostAllAsync(clients, key!, warmup, total, TimeSpan.FromSeconds(seconds), IngestionBenchmark.Native);
            var serverBefore = await PostgresBench.ServerCpuAsync(connectionString);
            Console.WriteLine($"  load average before the timed run: {IngestionBenchmark.LoadAverage()}");
            var cpuBefore = collectors.Select(c => c.CpuTime()).ToList();
            var result = await IngestionBenchmark.PostAllAsync(clients, key!, bodies, total, TimeSpan.FromSeconds(seconds), IngestionBenchmark.Native);
            var cpu = collectors.Select((c, i) => c.CpuTime() - cpuBefore[i]).Aggregate(TimeSpan.Zero, (a, b) => a + b);
            Console.WriteLine($"  load average after the timed run: {IngestionBenchmark.LoadAverage()}");
            var rate = result.Accepted / result.Elapsed.TotalSeconds;
            var latency = new Percentiles(result.Latencies);
            Console.WriteLine($"  {count} collector(s): {result.Accepted:N0} events accepted in {result.Elapsed.TotalSeconds:F1} s = {rate:N0} events/s ({result.Requests:N0} requests, {result.Refused:N0} refused, {total} connections)");
            Console.WriteLine($"  request latency ms: p50 {Percentiles.Ms(latency.At(50))}, p90 {Percentiles.Ms(latency.At(90))}, p99 {Percentiles.Ms(latency.At(99))}, max {Percentiles.Ms(latency.Max)}");
            Console.WriteLine($"  collector CPU per event: {cpu.TotalMicroseconds / result.Accepted:F1} µs (all collector processes)");
            var serverCpu = (await PostgresBench.ServerCpuAsync(connectionString) - serverBefore)?.TotalMicroseconds / result.Accepted ?? double.NaN;
            Console.WriteLine($"  database server CPU per event: {serverCpu:F1} µs (every process of the server, the collectors' connections among them)");
            foreach (var collector in collectors)
            {
                await collector.StopAsync();
            }

            return (rate, serverCpu);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var collector in collectors)
            {
                await collector.DisposeAsync();
            }
        }
    }

    // As the events table holds a row: the install's number, the product and revision as smallint.
    private sealed record Row(Guid Id, short Product, DateTime Time, int Name, short Revision, int Install, int Context, byte[]? Data);

    private static async Task<Dictionary<Guid, Row>> ReadRowsAsync(string connectionString)
    {
        var rows = new Dictionary<Guid, Row>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT id, product, time, name, revision, install, context, data FROM events", connection);
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetGuid(0);
            rows[id] = new Row(id, reader.GetInt16(1), reader.GetDateTime(2), reader.GetInt32(3), reader.GetInt16(4), reader.GetInt32(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7));
        }

        return rows;
    }

    // The collector's layout (its migrations and month partitions), then the rows in arrival order, one binary COPY
    // per transaction of the collector's size.
    private static async Task<(long Rows, TimeSpan Elapsed, double DatabaseMicroseconds)> CopyAsync(string server, List<Row> rows)
    {
        var connectionString = await PostgresBench.FreshSchemaAsync(server, LimitSchema);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await PostgresSchema.MigrateAsync(dataSource, CancellationToken.None);
        await new PostgresPartitions(dataSource).EnsureAsync(rows.Select(r => DateOnly.FromDateTime(r.Time)), CancellationToken.None);

        await using var connection = await dataSource.OpenConnectionAsync();
        var serverBefore = await PostgresBench.ServerCpuAsync(connectionString);
        var watch = Stopwatch.StartNew();
        foreach (var chunk in rows.Chunk(StorageLimit.RowsPerTransaction))
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var copy = await connection.BeginBinaryImportAsync("COPY events(id, product, time, name, revision, install, context, data) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var row in chunk)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(row.Id, NpgsqlDbType.Uuid);
                    await copy.WriteAsync(row.Product, NpgsqlDbType.Smallint);
                    await copy.WriteAsync(row.Time, NpgsqlDbType.TimestampTz);
                    await copy.WriteAsync(row.Name, NpgsqlDbType.Integer);
                    await copy.WriteAsync(row.Revision, NpgsqlDbType.Smallint);
                    await copy.WriteAsync(row.Install, NpgsqlDbType.Integer);
                    await copy.WriteAsync(row.Context, NpgsqlDbType.Integer);
                    if (row.Data is null)
                    {
                        await copy.WriteNullAsync();
                    }
                    else
                    {
                        await copy.WriteAsync(row.Data, NpgsqlDbType.Bytea);
                    }
                }

                await copy.CompleteAsync();
            }

            await transaction.CommitAsync();
        }

        var elapsed = watch.Elapsed;
        var serverCpu = (await PostgresBench.ServerCpuAsync(connectionString) - serverBefore)?.TotalMicroseconds / rows.Count ?? double.NaN;
        return (rows.Count, elapsed, serverCpu);
    }
}
