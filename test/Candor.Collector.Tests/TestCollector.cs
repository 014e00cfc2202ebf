using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Collector.Operations;
using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Collector.Tests;

/// <summary>
/// The real collector on a real Kestrel socket on 127.0.0.1, with its SQLite file in a temporary folder and a
/// fake clock. Each test starts its own, so tests run in parallel without sharing anything.
/// </summary>
internal sealed class TestCollector : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789-abcdefghijklmnop";

    private bool _stopped;

    private readonly WebApplication _app;
    private readonly Func<HttpMessageHandler>? _handler;

    private TestCollector(WebApplication app, string root, FakeTimeProvider clock, StringWriter console, ConcurrentQueue<string> logs, Func<HttpMessageHandler>? handler)
    {
        _app = app;
        _handler = handler;
        Root = root;
        Clock = clock;
        Console = console;
        Logs = logs;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Admin = Client(AdminToken);
    }

    public string Root { get; }

    public string DataPath => Path.Combine(Root, "data");

    public FakeTimeProvider Clock { get; }

    public StringWriter Console { get; }

    public ConcurrentQueue<string> Logs { get; }

    public Uri BaseAddress { get; }

    public HttpClient Admin { get; }

    public IServiceProvider Services => _app.Services;

    public IEventStore Store => _app.Services.GetRequiredService<IEventStore>();

    /// <summary>Every route the collector maps, as the router sees them (so a test covers routes added later too).</summary>
    public IReadOnlyList<RouteEndpoint> Endpoints =>
        [.. ((IEndpointRouteBuilder)_app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()];

    /// <param name="settings">Configuration on top of the test defaults.</param>
    /// <param name="configuredAdmin">Whether <see cref="AdminToken"/> is configured (else the first start creates one).</param>
    /// <param name="handler">Makes the handler of every client this collector hands out (for HTTPS with a test certificate).</param>
    /// <param name="services">Registers services in place of the collector's own (a store that fails, say).</param>
    public static async Task<TestCollector> StartAsync(
        IDictionary<string, string?>? settings = null, bool configuredAdmin = true, Func<HttpMessageHandler>? handler = null, Action<IServiceCollection>? services = null)
    {
        var root = Directory.CreateTempSubdirectory("candor-collector-").FullName;
        var clock = new FakeTimeProvider(Some.Now);
        var console = new StringWriter();
        var logs = new ConcurrentQueue<string>();
        var config = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Storage:DataPath"] = Path.Combine(root, "data"),
            ["Storage:FlushEachCommit"] = "false",
        };
        if (configuredAdmin)
        {
            config["Access:AdminToken"] = AdminToken;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var app = Program.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton(new CollectorConsole(TextWriter.Synchronized(console)));
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        return new TestCollector(app, root, clock, console, logs, handler);
    }

    public HttpClient Client(string? bearer = null)
    {
        var client = _handler is null ? new HttpClient() : new HttpClient(_handler());
        client.BaseAddress = BaseAddress;
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>Registers <see cref="Some.ManifestJson"/> (or another manifest) and returns a new ingestion key for it.</summary>
    public async Task<string> RegisterAsync(string manifest = Some.ManifestJson, int? k = null, int? retentionMonths = null)
    {
        var body = new JsonObject { ["manifest"] = JsonNode.Parse(manifest), ["kThreshold"] = k, ["retentionMonths"] = retentionMonths };
        var response = await Admin.PostAsJsonAsync("/admin/products", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var product = JsonNode.Parse(manifest)!["product"]!.GetValue<string>();
        return await CreateKeyAsync(product);
    }

    public async Task<string> CreateKeyAsync(string product)
    {
        var created = await Admin.PostAsJsonAsync($"/admin/products/{product}/keys", new { name = "ci" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
    }

    /// <summary>A reader token for <paramref name="products"/>, by default every product registered so far.</summary>
    public async Task<string> CreateReaderAsync(params string[] products)
    {
        if (products.Length == 0)
        {
            var registered = await Admin.GetFromJsonAsync<JsonArray>("/admin/products");
            products = [.. registered!.Select(p => p!["product"]!.GetValue<string>())];
        }

        return await CreateTokenAsync("reader", "analyst", products);
    }

    public Task<string> CreateAdminAsync(string name) => CreateTokenAsync("admin", name, null);

    private async Task<string> CreateTokenAsync(string role, string name, string[]? products)
    {
        var created = await Admin.PostAsJsonAsync("/admin/tokens", new { role, name, products });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
    }

    public async Task<HttpResponseMessage> PostBatchAsync(string? key, IEnumerable<WireEvent> events, bool gzip = true, HttpClient? client = null)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new WireBatch { Events = [.. events] }, ProtocolJsonContext.Default.WireBatch);
        return await PostRawAsync(key, json, gzip, client: client);
    }

    public async Task<HttpResponseMessage> PostRawAsync(string? key, byte[] body, bool gzip, string mediaType = "application/json", HttpClient? client = null, string path = ProtocolConstants.BatchPath)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        var content = new ByteArrayContent(gzip ? Gzip(body) : body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        request.Content = content;
        if (key is not null)
        {
            request.Headers.Add(ProtocolConstants.KeyHeader, key);
        }

        return await (client ?? Client()).SendAsync(request);
    }

    public static async Task<BatchResponse> ReadBatchAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.BatchResponse))!;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Waits for a condition that a background job makes true, checking often, for at most ten seconds.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"timed out waiting for: {what}");
    }

    /// <summary>Stops the collector as its host does at shutdown, keeping its data folder for the test to read.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless; a failing test because of it is not.
        }
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
