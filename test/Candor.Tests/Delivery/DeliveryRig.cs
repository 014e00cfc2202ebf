using System.Text.Json;
using Candor.Catalog;
using Candor.Delivery;
using Candor.Protocol;
using Candor.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Delivery;

/// <summary>
/// One user's machine for a delivery test: a Candor home in its own temporary folder, a fake clock, options,
/// counters, and factories for the spool and uploader the way the client builds them.
/// </summary>
internal sealed class DeliveryRig : IDisposable
{
    public const string Product = "sample";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "candor-delivery-" + Guid.NewGuid().ToString("N"));
    private readonly List<HttpClient> _clients = [];

    public DeliveryRig(IFileSystem? files = null, DeliveryOptions? options = null)
    {
        Directory.CreateDirectory(_root);
        Home = new CandorHome(Path.Combine(_root, "home"));
        Files = files ?? PhysicalFileSystem.Instance;
        Options = options ?? new DeliveryOptions();
    }

    public CandorHome Home { get; set; }

    /// <summary>The folder the home lives in, for tests that build a broken home next to it.</summary>
    public string Root => _root;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public IFileSystem Files { get; }

    public DeliveryOptions Options { get; }

    public DeliveryCounters Counters { get; } = new();

    public Spool Spool(string product = Product) => new(Home, product, Files, Time, Options, Counters);

    public Uploader Uploader(Uri endpoint, string product = Product, string key = TestCollector.Key, TimeProvider? time = null)
    {
        var http = DeliveryHttp.Create(Options);
        lock (_clients)
        {
            _clients.Add(http);
        }

        return new Uploader(Home, product, endpoint.ToString(), key, () => http, Spool(product), Options, Files, time ?? Time, Counters);
    }

    /// <summary>Records where <paramref name="product"/>'s events go, as a run of its official build does.</summary>
    public static void RecordProduct(CandorHome home, string product, string endpoint)
    {
        var manifest = Candor.Manifest.TelemetryManifest.Parse(Some.ManifestJson.Replace("\"product\": \"sample\"", $"\"product\": \"{product}\"", StringComparison.Ordinal));
        Assert.True(new ProductRecordStore(home, PhysicalFileSystem.Instance).Record(manifest, "1.0.0", endpoint, TestCollector.Key));
    }

    /// <summary>Spools <paramref name="count"/> events one millisecond apart; returns their IDs, oldest first.</summary>
    public Guid[] Track(int count, string product = Product)
    {
        var spool = Spool(product);
        var ids = new Guid[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = Guid.NewGuid();
            Assert.True(spool.TryWrite(ids[i], WireJson(ids[i], product, Time.GetUtcNow())));
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        return ids;
    }

    public string[] SpoolFiles(string product = Product) =>
        Directory.Exists(Home.SpoolDirectory(product))
            ? Directory.GetFiles(Home.SpoolDirectory(product), "*.json").Order(StringComparer.Ordinal).ToArray()
            : [];

    public DeliveryState State(string product = Product) => new DeliveryStateStore(Home.DeliveryState(product), Files).Load();

    public IReadOnlyList<SentEvent> Sent(string product = Product) => new TransparencyLog(Home, product, Files, Options).Read();

    /// <summary>One event's JSON exactly as the tracking client serializes it.</summary>
    public static byte[] WireJson(Guid id, string product, DateTimeOffset time)
    {
        var wire = new WireEvent
        {
            Id = id,
            Name = "install",
            Time = time,
            Product = product,
            Revision = 1,
            Install = Guid.NewGuid(),
            Session = Guid.NewGuid(),
            Context = new WireContext { Version = "1.2.3", Os = "linux", OsVersion = "ubuntu 24.04", Arch = "x64", Runtime = "8.0.11" },
            Properties = new Dictionary<string, JsonElement> { ["triplet"] = Element("\"x64-linux\"") },
            Measurements = new Dictionary<string, double> { ["buildTime"] = 1234 },
        };
        return JsonSerializer.SerializeToUtf8Bytes(wire, ProtocolJsonContext.Default.WireEvent);
    }

    private static JsonElement Element(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
