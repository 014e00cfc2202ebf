using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Candor.Collector.Tests.Access;

public class AccessEndpointsTests
{
    [Fact]
    public async Task FirstStart_WithoutConfiguredToken_PrintsAnAdminTokenOnce()
    {
        var data = Directory.CreateTempSubdirectory("candor-first-start-").FullName;
        try
        {
            string token;
            await using (var first = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Storage:DataPath"] = data }, configuredAdmin: false))
            {
                token = Regex.Match(first.Console.ToString(), "candor_admin_[A-Za-z0-9_-]+").Value;
                Assert.NotEmpty(token);
                Assert.Equal(HttpStatusCode.OK, (await first.Client(token).GetAsync("/admin/products")).StatusCode);
                Assert.Contains($"listening on {first.BaseAddress.ToString().TrimEnd('/')}", first.Console.ToString());
            }

            await using var second = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Storage:DataPath"] = data }, configuredAdmin: false);
            Assert.DoesNotContain("candor_admin_", second.Console.ToString());
            Assert.Contains("created on first start", second.Console.ToString());
            Assert.Equal(HttpStatusCode.OK, (await second.Client(token).GetAsync("/admin/products")).StatusCode);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task CreateToken_ReaderCanQueryButNotAdminister_AndRevokedTokenIsRefused()
    {
        await using var collector = await TestCollector.StartAsync();
        await collector.RegisterAsync();
        var created = await (await collector.Admin.PostAsJsonAsync("/admin/tokens", new { role = "reader", name = "analyst", products = new[] { "sample" } })).Content.ReadFromJsonAsync<JsonObject>();
        var reader = collector.Client(created!["secret"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/query/sample/events")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/admin/audit")).StatusCode);

        await collector.Admin.DeleteAsync($"/admin/tokens/{created["id"]}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await reader.GetAsync("/query/sample/events")).StatusCode);
    }

    [Fact]
    public async Task CreateToken_UnknownRole_IsRefused()
    {
        await using var collector = await TestCollector.StartAsync();

        var response = await collector.Admin.PostAsJsonAsync("/admin/tokens", new { role = "root" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ReaderToken_ReadsTheProductsItWasMadeFor_AndGets403OnAnyOther()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        await collector.RegisterAsync(Some.ManifestJson.Replace("\"product\": \"sample\"", "\"product\": \"other\""));
        await collector.PostBatchAsync(key, [Some.Install()]);
        var reader = collector.Client(await collector.CreateReaderAsync("sample"));

        var own = await reader.GetAsync("/query/sample/events?from=2026-03-01&to=2026-03-31");
        var other = await reader.GetAsync("/query/other/events?from=2026-03-01&to=2026-03-31");
        var tokens = await collector.Admin.GetFromJsonAsync<JsonArray>("/admin/tokens");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Contains("not made for product 'other'", await other.Content.ReadAsStringAsync());
        Assert.Equal(["sample"], tokens!.Single(t => t!["role"]!.GetValue<string>() == "reader")!["products"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Theory]
    [InlineData("{\"role\": \"reader\", \"name\": \"a\"}", "give 'products'")]
    [InlineData("{\"role\": \"reader\", \"name\": \"a\", \"products\": []}", "give 'products'")]
    [InlineData("{\"role\": \"reader\", \"name\": \"a\", \"products\": [\"nope\"]}", "no product 'nope'")]
    [InlineData("{\"role\": \"admin\", \"name\": \"a\", \"products\": [\"sample\"]}", "leave 'products' out")]
    public async Task CreateToken_ReaderWithoutRegisteredProducts_OrAdminWithSome_Is400(string body, string reason)
    {
        await using var collector = await TestCollector.StartAsync();
        await collector.RegisterAsync();

        var response = await collector.Admin.PostAsync("/admin/tokens", TestCollector.JsonContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Raw_WithAReaderToken_IsForbidden_ForItShowsInstallIds()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        await collector.PostBatchAsync(key, [Some.Install()]);
        var reader = collector.Client(await collector.CreateReaderAsync());

        var raw = await reader.GetAsync("/query/sample/raw?from=2026-03-01&to=2026-03-31");
        var events = await reader.GetAsync("/query/sample/events?from=2026-03-01&to=2026-03-31");

        Assert.Equal(HttpStatusCode.Forbidden, raw.StatusCode);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        Assert.DoesNotContain("raw.read", await collector.Admin.GetStringAsync("/admin/audit"));
    }

    [Fact]
    public async Task Audit_RecordsAdminActionsAndRawReads_WithTheActor()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        await collector.PostBatchAsync(key, [Some.Install()]);
        var exporter = collector.Client(await collector.CreateAdminAsync("exporter"));
        await exporter.GetAsync("/query/sample/events");
        await exporter.GetAsync("/query/sample/raw?from=2026-03-01&to=2026-03-31");

        var audit = (await collector.Admin.GetFromJsonAsync<JsonArray>("/admin/audit"))!.Select(e => e!.AsObject()).ToList();

        var actions = audit.Select(e => e["action"]!.GetValue<string>()).ToList();
        Assert.Equal(["raw.read", "token.create", "key.create", "product.register"], actions);
        Assert.Contains("(exporter)", audit[0]["actor"]!.GetValue<string>());
        Assert.Contains("1 raw events", audit[0]["detail"]!.GetValue<string>());
        Assert.Contains("(configured admin token)", audit[3]["actor"]!.GetValue<string>());
    }
}
