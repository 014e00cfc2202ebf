using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Candor.Protocol;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// Overload and sustained load against the collector in its own process: its capacity measured first (closed loop,
/// every connection posting its next batch as soon as the last is answered), then a fixed rate at a share of that
/// capacity for a minute (open loop: batches leave on a schedule whether or not earlier ones were answered, and each
/// latency counts from when its batch was due), then a burst far over capacity (many connections, big batches), then
/// a quiet spell. Reports latency percentiles, 200/429/503 counts, batches slower than the SDK's request timeout,
/// and the collector's resident memory every few seconds throughout.
/// </summary>
internal static class SustainedLoadBenchmark
{
    private static readonly TimeSpan SdkTimeout = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(Arguments args)
    {
        var share = args.Int("percent", 80) / 100.0;
        var seconds = args.Int("seconds", 60);
        var capacitySeconds = args.Int("capacity-seconds", 20);
        var burstConnections = args.Int("burst-connections", 128);
        var burstBatch = args.Int("burst-batch", 500);
        var burstSeconds = args.Int("burst-seconds", 20);
        var quietSeconds = args.Int("quiet-seconds", 30);
        var folder = Directory.CreateTempSubdirectory("candor-bench-sustain-").FullName;
        try
        {
            var now = DateTimeOffset.UtcNow;
            var workload = new Workload(installs: 20_000, DateOnly.FromDateTime(now.UtcDateTime).AddDays(-7));
            var ids = new List<Guid>();
            var settings = CollectorProcess.LoadSettings(args);

            var dataPath = Path.Combine(folder, "data");
            Directory.CreateDirectory(dataPath);
            await using var collector = await CollectorProcess.StartAsync(dataPath, settings);
            var key = await collector.RegisterAsync();
            var clock = Stopwatch.StartNew();
            var memory = new MemoryLog(collector, clock);
            using var sampling = new CancellationTokenSource();
            var sampler = memory.RunAsync(TimeSpan.FromSeconds(1), sampling.Token);
            Console.WriteLine($"Sustained load: collector process {collector.Id}, load average {IngestionBenchmark.LoadAverage()}, RSS {memory.Now():F0} MB");

            double rate;
            // Capacity: 8 connections, batches of 100, closed loop, after 50,000 untimed events.
            var capacityBodies = IngestionBenchmark.BuildBodies(workload, 50_000 + (capacitySeconds * 45_000), now, seed: 1, ids);
            using (var http = collector.Client(8))
            {
                await ClosedLoopAsync(http, key, capacityBodies[..500], 8, TimeSpan.FromMinutes(2), memory, "warm-up");
                var capacity = await ClosedLoopAsync(http, key, capacityBodies[500..], 8, TimeSpan.FromSeconds(capacitySeconds), memory, "capacity");
                rate = capacity.Accepted / capacity.Elapsed.TotalSeconds;
                Console.WriteLine($"  capacity: {rate:N0} events/s ({capacity.Describe()}), load average {IngestionBenchmark.LoadAverage()}");

                // The fixed rate: batches of 100 on a schedule, as many connections as it takes.
                var target = rate * share;
                var batches = (int)(target * seconds / IngestionBenchmark.EventsPerBatch);
                var bodies = IngestionBenchmark.BuildBodies(workload, batches * IngestionBenchmark.EventsPerBatch, now, seed: 2, ids);
                Console.WriteLine($"  sustained: {target:N0} events/s ({share:P0} of capacity) for {seconds} s, {bodies.Count:N0} batches of {IngestionBenchmark.EventsPerBatch}");
                using var open = collector.Client(1024);
                var sustained = await OpenLoopAsync(open, key, bodies, TimeSpan.FromSeconds(seconds), memory);
                Console.WriteLine($"  sustained: {sustained.Describe()}, load average {IngestionBenchmark.LoadAverage()}");
            }

            // The burst: many connections with big batches, closed loop, for a while; then nothing.
            // Enough batches for twice the capacity over the burst: a refused batch is sent again, so more are never needed.
            var burstBodies = IngestionBenchmark.BuildBodies(workload, ((int)(rate * burstSeconds * 2 / burstBatch) + burstConnections) * burstBatch, now, seed: 3, ids, perBatch: burstBatch);
            using (var http = collector.Client(burstConnections))
            {
                var burst = await ClosedLoopAsync(http, key, burstBodies, burstConnections, TimeSpan.FromSeconds(burstSeconds), memory, "burst");
                Console.WriteLine($"  burst of {burstConnections} connections x {burstBatch} events: {burst.Describe()}, load average {IngestionBenchmark.LoadAverage()}");
            }

            memory.Mark("quiet");
            await Task.Delay(TimeSpan.FromSeconds(quietSeconds));
            memory.Mark("end");
            await sampling.CancelAsync();
            await sampler;
            memory.Print();
            await collector.StopAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // Every connection posts its next batch as soon as the last one is answered, and a refused one again after Retry-After.
    private static async Task<Outcome> ClosedLoopAsync(HttpClient http, string key, List<byte[]> bodies, int connections, TimeSpan budget, MemoryLog memory, string phase)
    {
        memory.Mark(phase);
        var outcome = new Outcome();
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            int index;
            while (watch.Elapsed < budget && (index = Interlocked.Increment(ref next)) < bodies.Count)
            {
                // A refused batch is sent again after Retry-After, as the SDK's uploader does.
                while (await PostAsync(http, key, bodies[index], Stopwatch.GetTimestamp(), outcome) is { } retryAfter && watch.Elapsed < budget)
                {
                    await Task.Delay(retryAfter);
                }
            }
        })));
        outcome.Elapsed = watch.Elapsed;
        return outcome;
    }

    // Batch i leaves at start + i × interval whether or not the ones before it were answered; its latency counts
    // from then, so a collector that falls behind cannot hide it by slowing the sender down.
    private static async Task<Outcome> OpenLoopAsync(HttpClient http, string key, List<byte[]> bodies, TimeSpan duration, MemoryLog memory)
    {
        memory.Mark("sustained");
        var outcome = new Outcome();
        var interval = duration / bodies.Count;
        var start = Stopwatch.GetTimestamp();
        var inFlight = new List<Task>(bodies.Count);
        for (var i = 0; i < bodies.Count; i++)
        {
            var due = start + (long)(interval.TotalSeconds * i * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var body = bodies[i];
            inFlight.Add(Task.Run(() => PostAsync(http, key, body, due, outcome)));  // refused batches are counted, not sent again
        }

        await Task.WhenAll(inFlight);
        outcome.Elapsed = Stopwatch.GetElapsedTime(start);
        return outcome;
    }

    // Returns when to send the batch again when it was refused (429 or 503), else null.
    private static async Task<TimeSpan?> PostAsync(HttpClient http, string key, byte[] body, long due, Outcome outcome)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolConstants.BatchPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ProtocolConstants.MediaType);
        request.Content.Headers.ContentEncoding.Add(ProtocolConstants.Encoding);
        request.Headers.Add(ProtocolConstants.KeyHeader, key);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        outcome.Add(response.StatusCode, Stopwatch.GetElapsedTime(due), text);
        return response.StatusCode == HttpStatusCode.OK ? null : response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
    }

    private sealed class Outcome
    {
        private readonly ConcurrentBag<double> _latencies = [];
        private readonly ConcurrentDictionary<int, int> _statuses = new();
        private long _accepted;
        private int _overTimeout;

        public long Accepted => Interlocked.Read(ref _accepted);

        public TimeSpan Elapsed { get; set; }

        public void Add(HttpStatusCode status, TimeSpan latency, string body)
        {
            _latencies.Add(latency.TotalMilliseconds);
            _statuses.AddOrUpdate((int)status, 1, (_, n) => n + 1);
            if (latency > SdkTimeout)
            {
                Interlocked.Increment(ref _overTimeout);
            }

            if (status == HttpStatusCode.OK)
            {
                var answer = System.Text.Json.JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.BatchResponse)!;
                Interlocked.Add(ref _accepted, answer.Accepted);
            }
            else if (status is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
            {
                throw new InvalidOperationException($"the collector answered {(int)status}: {body}");
            }
        }

        public string Describe()
        {
            var latency = new Percentiles(_latencies);
            var statuses = string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value:N0}"));
            return $"{Accepted:N0} events accepted in {Elapsed.TotalSeconds:F1} s, {latency.Count:N0} requests ({statuses}), "
                + $"latency ms p50 {Percentiles.Ms(latency.At(50))} p99 {Percentiles.Ms(latency.At(99))} max {Percentiles.Ms(latency.Max)}, "
                + $"{_overTimeout} over {SdkTimeout.TotalSeconds:F0} s";
        }
    }

    // The collector's resident memory once a second, with the phase each sample fell in.
    private sealed class MemoryLog(CollectorProcess collector, Stopwatch clock)
    {
        private readonly ConcurrentQueue<(double Seconds, string Phase, double Megabytes)> _samples = new();
        private string _phase = "start";

        public double Now() => collector.ResidentMegabytes();

        public void Mark(string phase)
        {
            _phase = phase;
            _samples.Enqueue((clock.Elapsed.TotalSeconds, phase, Now()));
        }

        public async Task RunAsync(TimeSpan every, CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(every);
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    _samples.Enqueue((clock.Elapsed.TotalSeconds, _phase, Now()));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public void Print()
        {
            Console.WriteLine("  RSS by phase (MB): phase, first, peak, last");
            foreach (var phase in _samples.GroupBy(s => s.Phase))
            {
                Console.WriteLine($"    {phase.Key,-10} {phase.First().Megabytes,6:F0} {phase.Max(s => s.Megabytes),6:F0} {phase.Last().Megabytes,6:F0}");
            }

            Console.WriteLine("  RSS every 5 s (s: MB): " + string.Join(", ", _samples.Where((_, i) => i % 5 == 0).Select(s => $"{s.Seconds:F0}: {s.Megabytes:F0}")));
        }
    }
}
