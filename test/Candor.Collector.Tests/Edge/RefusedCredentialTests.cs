using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Candor.Collector.Access;
using Candor.Collector.Storage;
using Candor.Protocol;

namespace Candor.Collector.Tests.Edge;

/// <summary>
/// Refused credentials of every kind are counted in the metrics and audited with the client's country (never its
/// address) and the credential's ID where the secret named one, one entry per address and credential a minute;
/// limits count an IPv6 client by its /64; sign-in waits longer after each failure from one address.
/// They run alone, as the metrics tests do: the folded-refusal count is asserted exactly, and a test running at the
/// same time that refuses credentials by the hundred (the route fuzz test) adds to the same meter.
/// </summary>
[Collection(nameof(Operations.OperationsTests))]
public sealed class RefusedCredentialTests : IAsyncLifetime
{
    private const string Client = "2001:db8:1:2::17";
    private const string SameNetwork = "2001:db8:1:2:ffff::99";
    private const string OtherNetwork = "2001:db8:1:3::17";

    private readonly string _countries = Path.GetTempFileName();

    public Task InitializeAsync() =>
        File.WriteAllTextAsync(_countries, "start_ip,end_ip,country\n2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,DE\n");

    public Task DisposeAsync()
    {
        File.Delete(_countries);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task EveryKindOfRefusedCredential_IsCountedAndAuditedWithCountryAndId_NeverTheAddress()
    {
        await using var collector = await StartAsync();
        var key = await collector.RegisterAsync();
        var reader = await collector.CreateReaderAsync();
        var readerId = await IdOfAsync(collector, "analyst");
        using var client = From(collector, Client);

        await Send(client, HttpMethod.Get, "/admin/tokens", bearer: "candor_admin_not-a-token-of-this-collector-at-all");
        await Send(client, HttpMethod.Get, "/admin/tokens", bearer: reader);
        await collector.PostBatchAsync(TestCollector.AdminToken, [Some.Install()], client: client);
        await SignInFailsAsync(client, "candor_reader_wrong-but-plausible-0123456789abcdef");

        var entries = await RefusalsAsync(collector, 4);
        Assert.Contains(entries, e => e.Detail.StartsWith("token refused: unknown; from DE", StringComparison.Ordinal) && e.Actor == "unknown credential" && e.Target == "/admin/tokens");
        Assert.Contains(entries, e => e.Detail.StartsWith("token refused: not allowed here; from DE", StringComparison.Ordinal) && e.Actor == $"token {readerId} (analyst)");
        Assert.Contains(entries, e => e.Detail.StartsWith("ingestion-key refused: not an ingestion key; from DE", StringComparison.Ordinal) && e.Actor.StartsWith("token 1 ", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Detail.StartsWith("sign-in refused: unknown; from DE", StringComparison.Ordinal) && e.Target == "/dashboard/sign-in");
        Assert.All(entries, e => Assert.DoesNotContain("2001:db8", e.Actor + e.Target + e.Detail, StringComparison.Ordinal));

        var metrics = await collector.Client().GetStringAsync("/metrics");
        Assert.Equal(1, Counted(metrics, "token", "unknown"));
        Assert.Equal(1, Counted(metrics, "token", "not allowed here"));
        Assert.Equal(1, Counted(metrics, "ingestion-key", "not an ingestion key"));
        Assert.Equal(1, Counted(metrics, "sign-in", "unknown"));
        Assert.NotNull(key);
    }

    [Fact]
    public async Task RepeatedRefusals_FromOneNetwork_AreOneAuditEntryAMinute_WithTheFoldedCounted()
    {
        await using var collector = await StartAsync();
        using var client = From(collector, Client);
        using var neighbour = From(collector, SameNetwork);
        using var other = From(collector, OtherNetwork);

        for (var i = 0; i < 5; i++)
        {
            await Send(i % 2 == 0 ? client : neighbour, HttpMethod.Get, "/admin/tokens", bearer: "wrong");
        }

        await Send(other, HttpMethod.Get, "/admin/tokens", bearer: "wrong");
        Assert.Equal(2, (await RefusalsAsync(collector, 2)).Count);

        collector.Clock.Advance(RefusedCredentials.Window);
        await Send(client, HttpMethod.Get, "/admin/tokens", bearer: "wrong");

        var entries = await RefusalsAsync(collector, 3);
        Assert.EndsWith("; 4 more refusals before this one were counted but not written", entries[0].Detail, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^candor_collector_audit_refusals_folded_total(\{[^}]*\})? 4\b", await collector.Client().GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task RateLimitPerAddress_CountsAnIPv6NetworkAsOneClient()
    {
        await using var collector = await StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerAddress"] = "3" });
        using var client = From(collector, Client);
        using var neighbour = From(collector, SameNetwork);
        using var other = From(collector, OtherNetwork);

        var statuses = new List<HttpStatusCode>();
        foreach (var http in new[] { client, neighbour, client, neighbour })
        {
            statuses.Add((await http.GetAsync("/dashboard/sign-in")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/dashboard/sign-in")).StatusCode);
    }

    [Fact]
    public async Task SignIn_AfterFailures_WaitsLongerEachTime_EvenForTheRightToken_AndOnlyForThatNetwork()
    {
        await using var collector = await StartAsync();
        using var client = From(collector, Client);
        using var other = From(collector, OtherNetwork);

        for (var i = 0; i < 3; i++)
        {
            await SignInFailsAsync(client, "wrong");
        }

        var waiting = await SignInAsync(client, TestCollector.AdminToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, waiting.StatusCode);
        Assert.Equal("1", waiting.Headers.GetValues("Retry-After").Single());
        Assert.Contains("Too many failed sign-ins", await waiting.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(other, TestCollector.AdminToken)).StatusCode);

        collector.Clock.Advance(TimeSpan.FromSeconds(1));
        await SignInFailsAsync(client, "wrong");
        Assert.Equal("2", (await SignInAsync(client, TestCollector.AdminToken)).Headers.GetValues("Retry-After").Single());

        collector.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(client, TestCollector.AdminToken)).StatusCode);

        // A success clears the failures: the next wrong token is one of the free ones again.
        await SignInFailsAsync(client, "wrong");
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(client, TestCollector.AdminToken)).StatusCode);
    }

    private Task<TestCollector> StartAsync(Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings["Network:CountryDatabase"] = _countries;
        settings["Network:TrustedProxies:0"] = "127.0.0.1";
        return TestCollector.StartAsync(settings);
    }

    // A client behind the trusted proxy, so that its address is the one in X-Forwarded-For; with its own cookies.
    private static HttpClient From(TestCollector collector, string address)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = collector.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return http;
    }

    private static async Task Send(HttpClient client, HttpMethod method, string path, string bearer)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        var response = await client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, response.StatusCode.ToString());
    }

    private static async Task SignInFailsAsync(HttpClient client, string token) =>
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(client, token)).StatusCode);

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string token)
    {
        var form = await client.GetStringAsync("/dashboard/sign-in");
        var field = System.Text.RegularExpressions.Regex.Match(form, "<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken)\" value=\"(?<value>[^\"]+)\">");
        return await client.PostAsync("/dashboard/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [field.Groups["name"].Value] = WebUtility.HtmlDecode(field.Groups["value"].Value),
            ["token"] = token,
        }));
    }

    // The refusal entries, newest first, once at least `count` are written (the writes run after the answers).
    private static async Task<List<AuditEntry>> RefusalsAsync(TestCollector collector, int count)
    {
        List<AuditEntry> entries = [];
        await TestCollector.EventuallyAsync(async () =>
        {
            entries = [.. (await collector.Store.GetAuditAsync(1000, default)).Where(e => e.Action == "credential.refused")];
            return entries.Count >= count;
        }, $"{count} refusals in the audit log");
        return entries;
    }

    // The count of candor_collector_credentials_refused_total for a kind and reason, whatever other labels it has.
    private static int Counted(string metrics, string kind, string reason) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith("candor_collector_credentials_refused_total{", StringComparison.Ordinal)
                && l.Contains($"kind=\"{kind}\"", StringComparison.Ordinal) && l.Contains($"reason=\"{reason}\"", StringComparison.Ordinal))
            .Select(l => int.Parse(l[(l.LastIndexOf('}') + 2)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .Sum();

    private static async Task<long> IdOfAsync(TestCollector collector, string name) =>
        (await collector.Admin.GetFromJsonAsync<JsonArray>("/admin/tokens"))!.Single(t => t!["name"]!.GetValue<string>() == name)!["id"]!.GetValue<long>();
}
