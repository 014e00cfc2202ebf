using System.Diagnostics;
using System.Net;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// Query latency over a year of synthetic events (10 million by default): every query API call, over the
/// default range (the last 30 days) and over the whole year, timed end to end over HTTP against the collector
/// in its own process, one call at a time. Reports the median and p99 of repeated calls after a warm-up.
/// Also reports the file's bytes per event.
/// </summary>
internal static class QueryBenchmark
{
    public static async Task RunAsync(Arguments args)
    {
        var events = args.Int("events", 10_000_000);
        var repeat = args.Int("repeat", 30);
        var dataPath = args.Text("data") ?? Path.Combine(Path.GetTempPath(), "candor-bench-data", $"query-{events}");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Console.WriteLine($"Queries: {events:N0} events over {DatasetGenerator.Days} days in {dataPath}, {repeat} timed calls each");
        var lastDay = await DatasetGenerator.EnsureAsync(dataPath, events, today.AddDays(-1));

        var size = FileSize.Measure(Path.Combine(dataPath, "candor.db"));
        Console.WriteLine($"  file after checkpoint and VACUUM: {size.Bytes:N0} bytes for {size.Events:N0} events = {size.BytesPerEvent:F1} bytes per event");

        // Hundreds of calls a minute from one address are the benchmark, not abuse: lift the per-address limit.
        await using var collector = await CollectorProcess.StartAsync(dataPath, new Dictionary<string, string> { ["Ingestion:PermitsPerAddress"] = "100000000" });
        await TimeCallsAsync(collector, lastDay, today, repeat);
        await collector.StopAsync();
    }

    /// <summary>Times every call of <see cref="Calls"/> over the last 30 days and over the data set's year, and prints the table.</summary>
    public static async Task TimeCallsAsync(CollectorProcess collector, DateOnly lastDay, DateOnly today, int repeat)
    {
        using var http = collector.Client();
        var year = $"from={lastDay.AddDays(-(DatasetGenerator.Days - 1)):yyyy-MM-dd}&to={today:yyyy-MM-dd}";
        // One untimed pass over every call first: a collector that has been running has its code compiled and
        // its pages cached, and the first call timed should not pay for that.
        var tooSlow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, path) in Calls())
        {
            try
            {
                using var limit = new CancellationTokenSource(CallLimit);
                using var warm = await http.GetAsync(path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + year, limit.Token);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine($"  (untimed pass: {name} over the year took over {CallLimit.TotalSeconds:F0} s)");
                tooSlow.Add(name);
            }
        }

        Console.WriteLine($"  load average before the timed calls: {IngestionBenchmark.LoadAverage()}");
        Console.WriteLine($"  {"call",-52} {"30 days: p50",12} {"p99",7} {"n",3}   {"365 days: p50",13} {"p99",7} {"n",3}  (ms)");
        foreach (var (name, path) in Calls())
        {
            var recent = await TimeAsync(http, path, repeat);
            var whole = tooSlow.Contains(name) ? null : await TimeAsync(http, path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + year, repeat);
            Console.WriteLine($"  {name,-52} {Shown(recent, 50),12} {Shown(recent, 99),7} {recent?.Count ?? 0,3}   {Shown(whole, 50),13} {Shown(whole, 99),7} {whole?.Count ?? 0,3}");
        }

        Console.WriteLine($"  load average after the timed calls: {IngestionBenchmark.LoadAverage()}");
    }

    /// <summary>Every call of the query API, with the filters a dashboard would use.</summary>
    public static IEnumerable<(string Name, string Path)> Calls()
    {
        const string Q = "/query/" + Workload.Product;
        yield return ("events per day", $"{Q}/events?interval=day");
        yield return ("events per week of one event", $"{Q}/events?interval=week&event=install");
        yield return ("events per month, filtered (version, os, ci)", $"{Q}/events?interval=month&version=1.3.0&os=linux&ci=false");
        yield return ("events grouped by a property (triplet)", $"{Q}/events/by/triplet?event=install");
        yield return ("events grouped by a list property (packages)", $"{Q}/events/by/packages");
        yield return ("distinct installs per day", $"{Q}/installs?interval=day");
        yield return ("distinct installs per week", $"{Q}/installs?interval=week");
        yield return ("distinct installs per month", $"{Q}/installs?interval=month");
        yield return ("failure rate (install-failed / install)", $"{Q}/ratio?numerator=install-failed&denominator=install");
        yield return ("failure rate by package", $"{Q}/ratio?numerator=install-failed&denominator=install&by=packages");
        yield return ("duration percentiles (total)", $"{Q}/durations?event=install&measurement=buildTime");
        yield return ("duration percentiles per day", $"{Q}/durations?event=command&measurement=duration&interval=day");
        yield return ("version shares", $"{Q}/shares/version");
        yield return ("os shares", $"{Q}/shares/os");
        yield return ("runtime shares", $"{Q}/shares/runtime");
        yield return ("country shares", $"{Q}/shares/country");
        yield return ("top exception signatures", $"{Q}/exceptions?event=crash");
        yield return ("events per day as CSV", $"{Q}/events?interval=day&format=csv");
        yield return ("raw export, 1000 events", $"{Q}/raw?limit=1000");
    }

    // The longest one call is waited for; a call that takes longer is shown as over it, and not timed again.
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(30);

    private static string Shown(Percentiles? timings, double percentile) =>
        timings is null ? $">{CallLimit.TotalSeconds:F0}s" : Percentiles.Ms(timings.At(percentile));

    // Two untimed calls warm the caches; then `repeat` timed calls, fewer (at least 5, or 1 for a call over 4 s)
    // when a call is so slow that they would take more than about 20 seconds, so that a slow query cannot make the
    // run take an hour. Null when a call takes longer than CallLimit.
    private static async Task<Percentiles?> TimeAsync(HttpClient http, string path, int repeat)
    {
        var timings = new List<double>(repeat);
        var warm = TimeSpan.Zero;
        for (var i = -2; i < repeat; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var limit = new CancellationTokenSource(CallLimit);
            HttpResponseMessage response;
            byte[] body;
            try
            {
                response = await http.GetAsync(path, limit.Token);
                body = await response.Content.ReadAsByteArrayAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            using var answered = response;
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (response.StatusCode != HttpStatusCode.OK || body.Length == 0)
            {
                throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
            }

            if (i < 0)
            {
                warm = elapsed;
                repeat = warm.TotalSeconds > 4 ? 1 : Math.Clamp((int)(20_000 / Math.Max(1, warm.TotalMilliseconds)), Math.Min(5, repeat), repeat);
                if (warm.TotalSeconds > 4 && i == -2)
                {
                    i++;
                }
            }
            else
            {
                timings.Add(elapsed.TotalMilliseconds);
            }
        }

        return new Percentiles(timings);
    }
}
