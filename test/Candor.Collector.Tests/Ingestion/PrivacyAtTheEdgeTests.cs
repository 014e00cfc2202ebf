using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Candor.Collector.Tests.Ingestion;

public class PrivacyAtTheEdgeTests : IDisposable
{
    private const string ClientV4 = "198.51.100.23";
    private const string ClientV6 = "2001:db8:1234:5678::77";

    private readonly string _countries = Path.GetTempFileName();

    public PrivacyAtTheEdgeTests()
    {
        File.WriteAllLines(_countries, ["198.51.100.0,198.51.100.255,NZ", "2001:db8:1234::,2001:db8:1234:ffff:ffff:ffff:ffff:ffff,DE"]);
    }

    [Fact]
    public async Task ForwardedAddress_FromTrustedProxy_BecomesACountry()
    {
        await using var collector = await StartAsync(trustProxy: true);
        var key = await collector.RegisterAsync();

        await PostFromAsync(collector, key, ClientV4, Some.Install());
        await PostFromAsync(collector, key, ClientV6, Some.Install());

        var countries = await CountriesAsync(collector);
        Assert.Equal(["DE", "NZ"], countries.Order());
    }

    [Fact]
    public async Task ForwardedAddress_WithoutTrustedProxy_IsIgnored()
    {
        await using var collector = await StartAsync(trustProxy: false);
        var key = await collector.RegisterAsync();

        await PostFromAsync(collector, key, ClientV4, Some.Install());

        Assert.Equal([""], await CountriesAsync(collector));
    }

    [Fact]
    public async Task DataFolderAndLogs_HoldNoClientAddress_NeitherFullNorTruncated()
    {
        await using var collector = await StartAsync(trustProxy: true);
        var key = await collector.RegisterAsync();
        for (var i = 0; i < 5; i++)
        {
            await PostFromAsync(collector, key, ClientV4, Some.Install(), Some.Crash("System.IO.IOException at Sample.Cli.Run"));
            await PostFromAsync(collector, key, ClientV6, Some.Failed());
        }

        await collector.Client(TestCollector.AdminToken).PostAsync("/v1/installs/delete", null);
        var reader = collector.Client(await collector.CreateReaderAsync());
        await reader.GetAsync("/query/sample/events");

        var needles = new List<byte[]>();
        foreach (var text in new[] { ClientV4, ClientV6, "198.51.100.0", "198.51.100", "2001:db8:1234::", "2001:db8:1234:5678" })
        {
            needles.Add(Encoding.UTF8.GetBytes(text));
            needles.Add(Encoding.Unicode.GetBytes(text));
        }

        needles.Add(IPAddress.Parse(ClientV4).GetAddressBytes());
        needles.Add(IPAddress.Parse("198.51.100.0").GetAddressBytes());
        needles.Add(IPAddress.Parse(ClientV6).GetAddressBytes());
        needles.Add(IPAddress.Parse(ClientV6).GetAddressBytes()[..6]);
        var files = Directory.GetFiles(collector.DataPath, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var needle in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{Path.GetFileName(file)} holds {Convert.ToHexString(needle)}");
            }
        }

        Assert.DoesNotContain(collector.Logs, line => line.Contains("198.51.100") || line.Contains("2001:db8:1234"));
    }

    public void Dispose() => File.Delete(_countries);

    private Task<TestCollector> StartAsync(bool trustProxy)
    {
        var settings = new Dictionary<string, string?> { ["Network:CountryDatabase"] = _countries };
        if (trustProxy)
        {
            settings["Network:TrustedProxies:0"] = "127.0.0.0/8";
        }

        return TestCollector.StartAsync(settings);
    }

    private static async Task PostFromAsync(TestCollector collector, string key, string client, params Candor.Protocol.WireEvent[] events)
    {
        var http = collector.Client();
        http.DefaultRequestHeaders.Add("X-Forwarded-For", client);
        var response = await collector.PostBatchAsync(key, events, client: http);
        Assert.Equal(events.Length, (await TestCollector.ReadBatchAsync(response)).Accepted);
    }

    private static async Task<List<string>> CountriesAsync(TestCollector collector)
    {
        var raw = await collector.Admin.GetFromJsonAsync<JsonObject>("/query/sample/raw?from=2026-03-01&to=2026-03-31");
        return [.. raw!["rows"]!.AsArray().Select(r => r!["country"]!.GetValue<string>())];
    }
}
