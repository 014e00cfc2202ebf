using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Candor.Collector.Storage;
using Candor.Manifest;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Candor.Dashboard.Benchmarks;

/// <summary>
/// How long the dashboard's product page takes, in a real Chromium, over a store of millions of events: fills a
/// SQLite data folder, or with <c>--postgres</c> a schema on that server, once (kept for later runs), starts the real
/// collector on it, signs in and loads the page.
/// <c>dotnet run -c Release --project bench/Candor.Dashboard.Benchmarks -- [--events N] [--installs N] [--data PATH] [--postgres CONNECTION]</c>
/// </summary>
internal static class Program
{
    private const string AdminToken = "bench-admin-token-0123456789-abcdefghijklmnop";
    private const int Days = 30;

    public static async Task<int> Main(string[] args)
    {
        var events = long.Parse(Option(args, "--events") ?? "10000000", CultureInfo.InvariantCulture);
        var installs = int.Parse(Option(args, "--installs") ?? "20000", CultureInfo.InvariantCulture);
        var data = Path.GetFullPath(Option(args, "--data") ?? Path.Combine("bench", ".data", $"dashboard-{events}-{installs}"));
        var chromium = Option(args, "--chromium") ?? "/usr/bin/chromium";
        var postgres = Option(args, "--postgres");
        var store = new BenchStore(postgres is null ? data : data + "-postgres", postgres, events, installs);

        var (from, to) = await SeedAsync(store, events, installs);
        await PrepareAsync(store, from, to);
        var results = await MeasureAsync(store, chromium, from, to);

        Console.WriteLine();
        Console.WriteLine($"{events:N0} events from {installs:N0} installs over {from:yyyy-MM-dd}..{to:yyyy-MM-dd} in {store.Description}; {Environment.ProcessorCount} cores; load average {LoadAverage()}");
        Console.WriteLine("| view | first load: total (server, charts; CPU, of which JIT) ms | later loads, median: total (server, charts) ms | later loads, max ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (view, first, later) in results)
        {
            var sorted = later.OrderBy(l => l.Total).ToList();
            var median = sorted[sorted.Count / 2];
            Console.WriteLine($"| {view} | {first.Total:N0} ({first.Server:N0}, {first.Charts:N0}; {first.Cpu:N0}, {first.Jit:N0}) | {median.Total:N0} ({median.Server:N0}, {median.Charts:N0}) | {sorted[^1].Total:N0} |");
        }

        return 0;
    }

    // What a running collector's retention job does at start and every hour: build the day rollups of the days
    // no query has read yet. The first load then measures a page not computed yet over prepared days, which is
    // what a team meets; the time it took is printed, as it is work the collector does ahead of the page.
    private static async Task PrepareAsync(BenchStore bench, DateOnly from, DateOnly to)
    {
        var clock = Stopwatch.StartNew();
        await using var store = BenchStore.Open(bench.Options());
        await store.InitializeAsync(default);
        var built = await store.PrepareDayRollupsAsync(TelemetryManifest.Parse(ManifestJson()).Product, from, to, default);
        Console.WriteLine($"Prepared {built:N0} day rollups (event names × days) in {clock.Elapsed.TotalSeconds:N1} s; load average {LoadAverage()}");
    }

    // The data folder is filled once, straight through the store (the same writer ingestion uses, without HTTP),
    // and reused while the marker file says it holds the same events.
    private static async Task<(DateOnly From, DateOnly To)> SeedAsync(BenchStore bench, long count, int installs)
    {
        if (await bench.ReadMarkerAsync() is { } marker)
        {
            var days = marker.Split(' ');
            Console.WriteLine($"Using the events already in {bench.Description}");
            return (DateOnly.Parse(days[0], CultureInfo.InvariantCulture), DateOnly.Parse(days[1], CultureInfo.InvariantCulture));
        }

        await bench.ClearAsync();

        var json = ManifestJson();
        var manifest = TelemetryManifest.Parse(json);
        var to = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = to.AddDays(-(Days - 1));
        await using (var store = BenchStore.Open(bench.Options(maxEventsPerTransaction: 50_000)))
        {
            await store.InitializeAsync(default);
            await store.SaveProductAsync(new ProductRecord(manifest.Product, 14, 5, DateTimeOffset.UtcNow), default);
            await store.AddManifestAsync(new ManifestRecord(manifest.Product, manifest.Revision, json, DateTimeOffset.UtcNow), default);

            var clock = Stopwatch.StartNew();
            var generator = new Generator(manifest, installs, from, count);
            var pending = new Queue<Task>();
            long written = 0;
            foreach (var batch in generator.Batches(25_000))
            {
                pending.Enqueue(store.AppendAsync(batch, default));
                if (pending.Count > 2)
                {
                    await pending.Dequeue();
                }

                written += batch.Count;
                if (written % 1_000_000 < batch.Count)
                {
                    Console.WriteLine($"  {written:N0} events stored ({written / clock.Elapsed.TotalSeconds:N0}/s)");
                }
            }

            while (pending.Count > 0)
            {
                await pending.Dequeue();
            }

            Console.WriteLine($"Stored {written:N0} events in {clock.Elapsed.TotalSeconds:N0} s");
        }

        await bench.WriteMarkerAsync($"{from:yyyy-MM-dd} {to:yyyy-MM-dd}");
        return (from, to);
    }

    private static async Task<List<(string View, Load First, List<Load> Later)>> MeasureAsync(BenchStore bench, string chromium, DateOnly from, DateOnly to)
    {
        // Warming is off so that the first load really computes the page; later loads show the kept page.
        var app = Candor.Collector.Program.Build(
        [
            "--urls", "http://127.0.0.1:0", .. bench.CollectorArguments, "--Access:AdminToken", AdminToken,
            "--Dashboard:WarmEvery", "00:00:00", "--Logging:LogLevel:Default", "Warning",
        ]);
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var admin = new HttpClient { BaseAddress = address };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
            var created = await admin.PostAsJsonAsync("/admin/tokens", new { role = "reader", name = "bench", products = new[] { TelemetryManifest.Parse(ManifestJson()).Product } });
            var reader = (await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/dashboard/sign-in");
            await page.GetByLabel("Reader token").FillAsync(reader);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.WaitForURLAsync("**/dashboard");

            var range = $"/dashboard/products/acme?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}";
            var store = app.Services.GetRequiredService<IEventStore>();
            await ReceiveAsync(store, to);
            var results = new List<(string, Load, List<Load>)> { ("product page, all events (1280 px)", await LoadAsync(page, range), await LoadsAsync(page, range, 5)) };
            await ReceiveAsync(store, to);
            results.Add(("filtered: version 1.3.0, outside CI", await LoadAsync(page, range + "&version=1.3.0&ci=false"), await LoadsAsync(page, range + "&version=1.3.0&ci=false", 5)));
            await page.SetViewportSizeAsync(375, 812);
            results.Add(("product page, phone (375 px)", await LoadAsync(page, range), await LoadsAsync(page, range, 5)));
            return results;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    // A live collector receives events all the time, late ones for the day before too, and a commit changes the
    // days it touches: each first load follows one new event on each of the newest two days, so that the page
    // builds those days as it would there, not from what an earlier page built. (The data set grows by these.)
    private static async Task ReceiveAsync(IEventStore store, DateOnly to)
    {
        var manifest = TelemetryManifest.Parse(ManifestJson());
        foreach (var day in new[] { to.AddDays(-1), to })
        {
            await store.AppendAsync(new Generator(manifest, 1_000, day, 1).Batches(1).First(), default);
        }
    }

    // Total: from asking for the page to the last chart drawn, as the reader sees it. Server: from the request
    // sent to the first byte of the answer. Charts: from the page's script starting to the last chart drawn.
    private static async Task<Load> LoadAsync(IPage page, string url)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var jit = JitInfo.GetCompilationTime();
        var clock = Stopwatch.StartNew();
        await page.GotoAsync(url, new PageGotoOptions { Timeout = 120_000 });
        await page.Locator("body[data-charts-drawn]").WaitForAsync();
        var total = clock.Elapsed.TotalMilliseconds;
        var timing = await page.EvaluateAsync<double[]>("""
            (() => { const n = performance.getEntriesByType('navigation')[0];
                     return [n.responseStart - n.requestStart, Number(document.body.dataset.chartsMs || 0)]; })()
            """);
        return new Load(total, timing[0], timing[1], (process.TotalProcessorTime - cpu).TotalMilliseconds, (JitInfo.GetCompilationTime() - jit).TotalMilliseconds);
    }

    private static async Task<List<Load>> LoadsAsync(IPage page, string url, int times)
    {
        var loads = new List<Load>();
        for (var i = 0; i < times; i++)
        {
            loads.Add(await LoadAsync(page, url));
        }

        return loads;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    // Cpu: what this process (the collector, and the little the browser's driver does) spent on the load, on
    // every core; on a busy machine it says more about the work done than the wall time does. Jit: the part of
    // it spent compiling code run for the first time.
    private sealed record Load(double Total, double Server, double Charts, double Cpu, double Jit);

    private static string ManifestJson()
    {
        using var stream = typeof(Program).Assembly.GetManifestResourceStream("acme.manifest.json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
