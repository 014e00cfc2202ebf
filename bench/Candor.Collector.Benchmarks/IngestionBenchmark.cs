using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Candor.Protocol;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// Ingestion throughput: the collector in its own process, this process as the load generator posting gzip
/// batches of 100 events over loopback on a few connections; then, with the collector stopped, the storage
/// limit: the same rows inserted into a fresh file of the collector's schema with plain SQLite.
/// </summary>
internal static class IngestionBenchmark
{
    public const int EventsPerBatch = 100;

    public static async Task RunAsync(Arguments args)
    {
        var events = args.Int("events", 1_000_000);
        var connections = args.Int("connections", 4);
        var seconds = args.Int("seconds", 120);
        var warmupEvents = args.Int("warmup", 200_000);
        var folder = Directory.CreateTempSubdirectory("candor-bench-ingest-").FullName;
        try
        {
            Console.WriteLine($"Ingestion: {events:N0} events in batches of {EventsPerBatch}, {connections} connections, at most {seconds} s, after {warmupEvents:N0} untimed");
            var now = DateTimeOffset.UtcNow;
            var workload = new Workload(installs: 20_000, DateOnly.FromDateTime(now.UtcDateTime).AddDays(-7));
            var watch = Stopwatch.StartNew();
            var arrival = new List<Guid>();
            // The untimed batches give tiered compilation time to finish: on a busy 2-core machine it compiles thousands
            // of methods for tens of seconds, which a collector that has been running has long done.
            var warmup = BuildBodies(workload, warmupEvents, now, seed: 1, arrival);
            var bodies = BuildBodies(workload, events, now, seed: 2, arrival);
            var otlpWarmup = BuildBodies(workload, warmupEvents, now, seed: 1, [], encode: OtlpBodies.Encode);
            var otlpBodies = BuildBodies(workload, events, now, seed: 2, [], encode: OtlpBodies.Encode);
            Console.WriteLine($"  built {bodies.Count:N0} request bodies ({bodies.Sum(b => (long)b.Length) / bodies.Count:N0} bytes gzip each) in {watch.Elapsed.TotalSeconds:F1} s");

            var settings = CollectorProcess.LoadSettings(args);

            var dataPath = Path.Combine(folder, "data");
            Directory.CreateDirectory(dataPath);
            LoadResult result;
            TimeSpan collectorCpu;
            await using (var collector = await CollectorProcess.StartAsync(dataPath, settings))
            {
                var key = await collector.RegisterAsync();
                Console.WriteLine($"  collector process {collector.Id} at {collector.BaseAddress}");
                using var http = collector.Client(connections);
                await PostAllAsync([http], key, warmup, connections, TimeSpan.FromSeconds(seconds), Native);
                Console.WriteLine($"  load average before the timed run: {LoadAverage()}");
                var cpuBefore = collector.CpuTime();
                var ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
                result = await PostAllAsync([http], key, bodies, connections, TimeSpan.FromSeconds(seconds), Native);
                collectorCpu = collector.CpuTime() - cpuBefore;
                var ownCpu = Process.GetCurrentProcess().TotalProcessorTime - ownBefore;
                Console.WriteLine($"  load average after the timed run: {LoadAverage()}");
                await collector.StopAsync();

                var latency = new Percentiles(result.Latencies);
                Console.WriteLine($"  collector: {result.Accepted:N0} events accepted in {result.Elapsed.TotalSeconds:F1} s = {result.Accepted / result.Elapsed.TotalSeconds:N0} events/s ({result.Requests:N0} requests, {result.Refused:N0} refused)");
                Console.WriteLine($"  request latency ms: p50 {Percentiles.Ms(latency.At(50))}, p90 {Percentiles.Ms(latency.At(90))}, p99 {Percentiles.Ms(latency.At(99))}, max {Percentiles.Ms(latency.Max)}");
                Console.WriteLine($"  CPU during the run: collector {collectorCpu.TotalSeconds:F1} s, load generator {ownCpu.TotalSeconds:F1} s (of {2 * result.Elapsed.TotalSeconds:F0} core-seconds on 2 cores)");
            }

            // The same events through the OTLP door (binary protobuf log records), into a fresh collector and data
            // folder of their own so that both doors start from an empty store.
            Console.WriteLine($"  OTLP/protobuf: the same events as log records ({otlpBodies.Sum(b => (long)b.Length) / otlpBodies.Count:N0} bytes gzip per request)");
            var otlpPath = Path.Combine(folder, "data-otlp");
            Directory.CreateDirectory(otlpPath);
            await using (var collector = await CollectorProcess.StartAsync(otlpPath, settings))
            {
                var key = await collector.RegisterAsync(OtlpBodies.Manifest());
                using var http = collector.Client(connections);
                await PostAllAsync([http], key, otlpWarmup, connections, TimeSpan.FromSeconds(seconds), Otlp);
                Console.WriteLine($"  load average before the timed run: {LoadAverage()}");
                var cpuBefore = collector.CpuTime();
                var otlp = await PostAllAsync([http], key, otlpBodies, connections, TimeSpan.FromSeconds(seconds), Otlp);
                var otlpCpu = collector.CpuTime() - cpuBefore;
                Console.WriteLine($"  load average after the timed run: {LoadAverage()}");
                await collector.StopAsync();
                var otlpRate = otlp.Accepted / otlp.Elapsed.TotalSeconds;
                var latency = new Percentiles(otlp.Latencies);
                Console.WriteLine($"  collector (OTLP): {otlp.Accepted:N0} events accepted in {otlp.Elapsed.TotalSeconds:F1} s = {otlpRate:N0} events/s ({otlp.Requests:N0} requests)");
                Console.WriteLine($"  request latency ms (OTLP): p50 {Percentiles.Ms(latency.At(50))}, p90 {Percentiles.Ms(latency.At(90))}, p99 {Percentiles.Ms(latency.At(99))}, max {Percentiles.Ms(latency.Max)}");
                Console.WriteLine($"  CPU per event (OTLP): collector {otlpCpu.TotalMicroseconds / otlp.Accepted:F1} µs");
                Console.WriteLine($"  OTLP / native: {otlpRate / (result.Accepted / result.Elapsed.TotalSeconds):P0} (goal: at least 80%)");
            }

            var database = Path.Combine(dataPath, "candor.db");
            var limit = StorageLimit.Measure(database, Path.Combine(folder, "limit"), arrival, flushEachCommit: settings.GetValueOrDefault("Storage:FlushEachCommit", "true") == "true");
            var rate = result.Accepted / result.Elapsed.TotalSeconds;
            Console.WriteLine($"  storage limit: {limit.Rows:N0} rows in {limit.Elapsed.TotalSeconds:F1} s = {limit.RowsPerSecond:N0} rows/s ({limit.Transactions:N0} transactions of {StorageLimit.RowsPerTransaction:N0})");
            Console.WriteLine($"  collector / limit: {rate / limit.RowsPerSecond:P0} (goal: at least 50%)");
            Console.WriteLine($"  CPU per event: collector {collectorCpu.TotalMicroseconds / result.Accepted:F1} µs (all its threads), storage limit {limit.Cpu.TotalMicroseconds / limit.Rows:F1} µs per row");

            var size = FileSize.Measure(database);
            Console.WriteLine($"  file after checkpoint and VACUUM: {size.Bytes:N0} bytes for {size.Events:N0} events = {size.BytesPerEvent:F1} bytes per event");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The machine's 1, 5 and 15 minute load averages, or "unknown" where /proc is not there.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Gzip batch bodies of <paramref name="perBatch"/> events (every event a new ID), a week of traffic; their IDs go to <paramref name="arrival"/> in order.</summary>
    public static List<byte[]> BuildBodies(Workload workload, int events, DateTimeOffset now, int seed, List<Guid> arrival, int perBatch = EventsPerBatch, Func<List<WireEvent>, byte[]>? encode = null)
    {
        encode ??= batch => Gzip(JsonSerializer.SerializeToUtf8Bytes(new WireBatch { Events = batch }, ProtocolJsonContext.Default.WireBatch));
        var random = new Random(seed);
        var bodies = new List<byte[]>(events / perBatch);
        var batch = new List<WireEvent>(perBatch);

        // A week of traffic, one day after the other, so rollups see several days as they would in a real run.
        var perDay = events / 7;
        for (var d = 6; d >= 0; d--)
        {
            var day = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-d);
            foreach (var e in workload.Day(day, d == 0 ? events - (6 * perDay) : perDay, random, now))
            {
                batch.Add(workload.ToWire(e));
                arrival.Add(e.Id);
                if (batch.Count == perBatch)
                {
                    bodies.Add(encode(batch));
                    batch = new List<WireEvent>(perBatch);
                }
            }
        }

        return bodies;
    }

    // How a door is posted to, and how many events of a batch its answer says were taken (or why none were).
    internal sealed record Door(string Path, string MediaType, Func<HttpResponseMessage, Task<(int Taken, string? Problem)>> ReadAsync);

    internal static readonly Door Native = new(ProtocolConstants.BatchPath, ProtocolConstants.MediaType, async response =>
    {
        var answer = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.BatchResponse) : null;
        return answer is null || answer.Rejected.Count > 0
            ? (0, answer is null ? $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}" : answer.Rejected[0].Detail)
            : (answer.Accepted + answer.Duplicates, null);
    });

    // An empty ExportLogsServiceResponse is a full success; any partial_success means a refused record.
    private static readonly Door Otlp = new(OtlpBodies.LogsPath, OtlpBodies.MediaType, async response =>
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == HttpStatusCode.OK && body.Length == 0
            ? (EventsPerBatch, null)
            : (0, $"{(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
    });

    // Worker i posts to clients[i % clients.Count]: with two collectors, half the connections go to each.
    internal static async Task<LoadResult> PostAllAsync(IReadOnlyList<HttpClient> clients, string key, List<byte[]> bodies, int connections, TimeSpan budget, Door door)
    {
        var next = -1;
        long accepted = 0, refused = 0, requests = 0;
        var latencies = new List<double>[connections];
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = new List<double>(bodies.Count / connections + 1);
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Count && watch.Elapsed < budget)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, door.Path) { Content = new ByteArrayContent(bodies[index]) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(door.MediaType);
                request.Content.Headers.ContentEncoding.Add(ProtocolConstants.Encoding);
                request.Headers.Add(ProtocolConstants.KeyHeader, key);
                var started = Stopwatch.GetTimestamp();
                using var response = await clients[worker % clients.Count].SendAsync(request);
                var (taken, problem) = await door.ReadAsync(response);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref requests);
                if (problem is not null)
                {
                    throw new InvalidOperationException($"the collector refused a benchmark batch: {problem}");
                }

                Interlocked.Add(ref accepted, taken);
                Interlocked.Add(ref refused, EventsPerBatch - taken);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return new LoadResult(accepted, refused, requests, watch.Elapsed, [.. latencies.SelectMany(l => l)]);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    internal sealed record LoadResult(long Accepted, long Refused, long Requests, TimeSpan Elapsed, List<double> Latencies);
}

/// <summary>Named command-line options: <c>--name value</c>.</summary>
internal sealed class Arguments(string[] args)
{
    public string Mode => args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "";

    public string? Text(string name)
    {
        var at = Array.IndexOf(args, "--" + name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    public IEnumerable<string> All(string name)
    {
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--" + name)
            {
                yield return args[i + 1];
            }
        }
    }

    public int Int(string name, int fallback) =>
        Text(name) is { } text ? int.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;
}
