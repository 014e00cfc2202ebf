using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Delivery;
using Candor.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Candor.Conformance.Tests;

/// <summary>
/// The real collector, as an operator runs it (Kestrel on 127.0.0.1, a SQLite file), started once for a test
/// class. Samples register with it, are built with its address and their product's ingestion key, and send to it.
/// </summary>
public sealed class ConformanceCollector : IAsyncLifetime, IDisposable
{
    private const string AdminToken = "conformance-admin-token-0123456789-abcdefgh";

    private readonly TimeProvider? _clock;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private WebApplication _app = null!;
    private HttpClient _admin = null!;

    public ConformanceCollector()
        : this(clock: null)
    {
    }

    /// <param name="clock">The collector's clock, when a test moves time on (a FakeTimeProvider, for retention); else the system's.</param>
    /// <param name="settings">Configuration on top of the defaults, such as <c>Retention:Interval</c>.</param>
    public ConformanceCollector(TimeProvider? clock, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _clock = clock;
        _settings = settings ?? new Dictionary<string, string?>();
    }

    /// <summary>What the collector logged, as "Level: message" lines; a test waits on them for background jobs such as retention.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    public string Root { get; } = Directory.CreateTempSubdirectory("candor-conformance-").FullName;

    public string DataPath => Path.Combine(Root, "data");

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>
    /// Lines of an IP-to-country file (<c>start_ip,end_ip,country</c>) the collector loads as its
    /// <c>Network:CountryDatabase</c>; set before the collector starts. Null, the default, configures none.
    /// </summary>
    public IReadOnlyList<string>? CountryRanges { get; set; }

    public async Task InitializeAsync()
    {
        _app = Collector.Program.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["urls"] = "http://127.0.0.1:0",
                ["Storage:DataPath"] = DataPath,
                ["Access:AdminToken"] = AdminToken,
            });
            builder.Configuration.AddInMemoryCollection(_settings);
            if (_clock is not null)
            {
                builder.Services.AddSingleton(_clock);
            }

            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(new CapturingLoggerProvider(Logs));
            if (CountryRanges is { } ranges)
            {
                // Beside the data folder, not in it: the data folder is what tests search for client addresses.
                var countries = Path.Combine(Root, "countries.csv");
                File.WriteAllLines(countries, ranges);
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Network:CountryDatabase"] = countries });
            }
        });
        await _app.StartAsync();
        Endpoint = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _admin = new HttpClient { BaseAddress = Endpoint };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public void Dispose() => _admin?.Dispose();

    public async Task DisposeAsync()
    {
        Dispose();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Registers a sample's manifest with a k threshold of 1 (a test has one install) and returns a new ingestion key.</summary>
    public async Task<string> RegisterAsync(string manifestPath)
    {
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!;
        var product = manifest["product"]!.GetValue<string>();
        var registered = await _admin.PostAsJsonAsync("/admin/products", new JsonObject { ["manifest"] = manifest, ["kThreshold"] = 1 });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        var key = await _admin.PostAsJsonAsync($"/admin/products/{product}/keys", new { name = "conformance" });
        Assert.True(key.IsSuccessStatusCode, await key.Content.ReadAsStringAsync());
        return (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
    }

    /// <summary>Every raw event the collector stored for <paramref name="product"/>, through the query API.</summary>
    public async Task<IReadOnlyList<JsonElement>> RawAsync(string product)
    {
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var response = await _admin.GetAsync($"/query/{product}/raw?from={today}&to={today}&limit=100000");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. body.GetProperty("rows").EnumerateArray()];
    }

    /// <summary>GETs a query API path (with its query string) as the admin and returns the JSON answer.</summary>
    public async Task<JsonElement> QueryAsync(string pathAndQuery)
    {
        var response = await _admin.GetAsync(pathAndQuery);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Fails when any file of the data folder holds one of <paramref name="needles"/> (the collector keeps its files open while this reads them).</summary>
    public void AssertDataFolderHoldsNone(params byte[][] needles)
    {
        var files = Directory.GetFiles(DataPath, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            foreach (var needle in needles)
            {
                Assert.True(copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(needle) < 0, $"{Path.GetFileName(file)} holds {Convert.ToHexString(needle)} ('{System.Text.Encoding.UTF8.GetString(needle)}')");
            }
        }
    }

    /// <summary>
    /// Uploads what a sample left in its spool, as the next run of any tool of the product would, and waits for
    /// the answer: short runs leave their events for a later run, and a test should not need twenty-five runs.
    /// </summary>
    public static async Task WaitUntilDeliveredAsync(string home, string product)
    {
        // The runs handed their events to the detached uploader as they exited; it sends them on its own.
        var layout = new CandorHome(home);
        var spool = new Spool(layout, product, PhysicalFileSystem.Instance, TimeProvider.System, new DeliveryOptions(), new DeliveryCounters());
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (spool.ListPending().Count > 0 || File.Exists(layout.UploadRequest(product)))
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
