using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Candor.Collector.Tests.Products;

public class ProductEndpointsTests
{
    [Fact]
    public async Task Register_NewManifest_CreatesProductWithManifestRetentionAndDefaultK()
    {
        await using var collector = await TestCollector.StartAsync();

        var response = await collector.Admin.PostAsJsonAsync("/admin/products", new { manifest = JsonNode.Parse(Some.ManifestJson) });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var product = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("sample", product["product"]!.GetValue<string>());
        Assert.Equal(14, product["retentionMonths"]!.GetValue<int>());
        Assert.Equal(5, product["kThreshold"]!.GetValue<int>());
    }

    [Fact]
    public async Task Register_InvalidManifest_ListsEveryProblem()
    {
        await using var collector = await TestCollector.StartAsync();
        var broken = Some.ManifestJson.Replace("\"purpose\": \"Fix crashes.\",", "").Replace("\"kind\": \"enum\"", "\"kind\": \"string\"");

        var response = await collector.Admin.PostAsJsonAsync("/admin/products", new { manifest = JsonNode.Parse(broken) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.Contains("event 'crash': 'purpose' is required"));
        Assert.Contains(errors, e => e.Contains("unknown kind 'string'"));
    }

    [Fact]
    public async Task Register_ManifestWithBytesThatAreNotUtf8_IsRefusedAndNothingIsRegistered()
    {
        await using var collector = await TestCollector.StartAsync();
        var body = Encoding.UTF8.GetBytes($$"""{"manifest": {{Some.ManifestJson}}}""");

        // A byte that cannot start a UTF-8 sequence, inside the name's string, where only reading the string notices it.
        var at = Array.IndexOf(body, (byte)'S', Encoding.UTF8.GetString(body).IndexOf("\"Sample", StringComparison.Ordinal));
        body[at] = 0xA5;
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var response = await collector.Admin.PostAsync("/admin/products", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid UTF-8", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await collector.Admin.GetAsync("/admin/products/sample")).StatusCode);
        Assert.DoesNotContain(collector.Logs, line => line.StartsWith("Error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Register_SameRevisionWithDifferentContent_Conflicts()
    {
        await using var collector = await TestCollector.StartAsync();
        await collector.RegisterAsync();

        var changed = Some.ManifestJson.Replace("Download retries.", "Retries.");
        var response = await collector.Admin.PostAsJsonAsync("/admin/products", new { manifest = JsonNode.Parse(changed) });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("raise 'revision'", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Register_RevisionPast32767_IsRefusedNamingTheLimit_AndNothingIsRegistered()
    {
        await using var collector = await TestCollector.StartAsync();
        var past = Some.ManifestJson.Replace("\"revision\": 1,", "\"revision\": 32768,");

        var response = await collector.Admin.PostAsJsonAsync("/admin/products", new { manifest = JsonNode.Parse(past) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'revision' must be at most 32767 (found 32768)", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await collector.Admin.GetAsync("/admin/products/sample")).StatusCode);
    }

    [Fact]
    public async Task Register_NewRevision_KeepsEveryRevisionAndSettings()
    {
        await using var collector = await TestCollector.StartAsync();
        await collector.RegisterAsync(k: 3, retentionMonths: 6);

        var response = await collector.Admin.PostAsJsonAsync("/admin/products", new { manifest = JsonNode.Parse(Some.ManifestRevision2) });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var product = (await collector.Admin.GetFromJsonAsync<JsonObject>("/admin/products/sample"))!;
        Assert.Equal([1, 2], product["revisions"]!.AsArray().Select(r => r!.GetValue<int>()));
        Assert.Equal(3, product["kThreshold"]!.GetValue<int>());
        Assert.Equal(6, product["retentionMonths"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_Settings_ChangesRetentionAndK()
    {
        await using var collector = await TestCollector.StartAsync();
        await collector.RegisterAsync();

        var response = await collector.Admin.PatchAsJsonAsync("/admin/products/sample", new { kThreshold = 10 });
        var invalid = await collector.Admin.PatchAsJsonAsync("/admin/products/sample", new { retentionMonths = 0 });

        Assert.Equal(10, (await response.Content.ReadFromJsonAsync<JsonObject>())!["kThreshold"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task CreateKey_ShowsSecretOnce_AndStoresOnlyItsHash()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();

        var listed = await collector.Admin.GetStringAsync("/admin/products/sample/keys");

        Assert.StartsWith("candor_ingest_", key);
        Assert.DoesNotContain(key, listed);
        Assert.Contains("\"name\":\"ci\"", listed);
        var secret = Encoding.UTF8.GetBytes(key);
        foreach (var file in Directory.GetFiles(collector.DataPath))
        {
            Assert.True(((ReadOnlySpan<byte>)File.ReadAllBytes(file)).IndexOf(secret) < 0, $"{file} holds the secret");
        }
    }

    [Fact]
    public async Task RevokeKey_KeyNoLongerIngests()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var id = (await collector.Admin.GetFromJsonAsync<JsonArray>("/admin/products/sample/keys"))![0]!["id"]!.GetValue<long>();

        var revoked = await collector.Admin.DeleteAsync($"/admin/products/sample/keys/{id}");
        var batch = await collector.PostBatchAsync(key, [Some.Install()]);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, batch.StatusCode);
        var again = await collector.Admin.DeleteAsync($"/admin/products/sample/keys/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains($"'sample' has no live ingestion key with ID {id}", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AdminEndpoints_WithoutAdminToken_AreRefused()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var reader = collector.Client(await collector.CreateReaderAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, (await collector.Client().GetAsync("/admin/products")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await collector.Client("candor_admin_guessed").GetAsync("/admin/products")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await collector.Client(key).GetAsync("/admin/products")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/admin/products")).StatusCode);
    }

    [Fact]
    public async Task Register_ManifestWithCommentsAndTrailingCommas_IsAcceptedAsTheSdkAcceptsIt()
    {
        await using var collector = await TestCollector.StartAsync();
        var manifest = "// the sample tool's manifest, as an author writes it\n"
            + Some.ManifestJson.Replace("\"revision\": 1,", "\"revision\": 1, /* raise it for every change */").TrimEnd().TrimEnd('}') + ",\n}";
        Assert.Equal("sample", Candor.Manifest.TelemetryManifest.Parse(manifest).Product);

        // Exactly what docs/collector.md has an operator type: the file pasted into the body.
        var response = await collector.Admin.PostAsync("/admin/products", TestCollector.JsonContent($"{{\"manifest\": {manifest}, \"kThreshold\": 1,}}"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonObject>())!["kThreshold"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("{\"manifest\": {\"product\": \"sample\"", "LineNumber")]
    [InlineData("{\"manifest\": 'sample'}", "invalid start of a value")]
    [InlineData("{\"manifest\": {}, \"kThreshold\": \"five\"}", "$.kThreshold")]
    [InlineData("", "no body")]
    public async Task Register_BodyThatIsNotTheRequest_Gets400NamingWhatIsWrong_AndALogLine(string body, string named)
    {
        await using var collector = await TestCollector.StartAsync();

        var response = await collector.Admin.PostAsync("/admin/products", TestCollector.JsonContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>();
        Assert.Contains(named, detail);
        Assert.Contains(collector.Logs, l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains("Refused POST /admin/products (400): " + detail));
    }

    [Fact]
    public async Task Register_WithoutManifestOrWithABadManifest_Gets400NamingIt_AndALogLine()
    {
        await using var collector = await TestCollector.StartAsync();
        var broken = Some.ManifestJson.Replace("\"purpose\": \"Fix crashes.\",", "");

        var missing = await collector.Admin.PostAsync("/admin/products", TestCollector.JsonContent("{\"kThreshold\": 1}"));
        var wrong = await collector.Admin.PostAsync("/admin/products", TestCollector.JsonContent($"{{\"manifest\": {broken}}}"));

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("give the manifest as 'manifest'", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains(collector.Logs, l => l.Contains("Refused POST /admin/products (400): give the manifest as 'manifest'"));
        Assert.Contains(collector.Logs, l => l.Contains("Refused a manifest for 'sample': ") && l.Contains("event 'crash': 'purpose' is required"));
    }

    [Fact]
    public async Task UnknownProduct_Gets404NamingIt()
    {
        await using var collector = await TestCollector.StartAsync();

        var responses = new[]
        {
            await collector.Admin.GetAsync("/admin/products/kmpkg"),
            await collector.Admin.PostAsync("/admin/products/kmpkg/keys", null),
            await collector.Admin.GetAsync("/admin/products/kmpkg/keys"),
            await collector.Admin.PatchAsJsonAsync("/admin/products/kmpkg", new { kThreshold = 1 }),
        };

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray();
            Assert.Equal("no product 'kmpkg' is registered here (GET /admin/products lists them; POST /admin/products registers one)", Assert.Single(errors)!.GetValue<string>());
        }
    }
}
