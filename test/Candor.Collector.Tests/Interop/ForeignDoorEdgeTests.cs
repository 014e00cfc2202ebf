using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace Candor.Collector.Tests.Interop;

/// <summary>Hand-made requests for what real clients rarely send: the error paths of the OTLP and Application Insights doors.</summary>
public class ForeignDoorEdgeTests
{
    [Fact]
    public async Task OtlpJson_OneValidOneInvalidRecord_StoresOneAndReportsAPartialSuccess()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        var install = Guid.NewGuid();

        var response = await PostAsync(collector, "/v1/logs", key, Encoding.UTF8.GetBytes(LogsJson(install, "build", "deploy")), "application/json", gzip: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var partial = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["partialSuccess"]!;
        Assert.Equal("1", partial["rejectedLogRecords"]!.GetValue<string>());
        Assert.Contains("item 1: invalid-value", partial["errorMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("deploy", partial["errorMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        var row = Assert.Single(await InteropTool.RawAsync(collector));
        Assert.Equal("build", row["properties"]!["command"]!.GetValue<string>());

        var metrics = await collector.Client().GetStringAsync("/metrics");
        Assert.Matches(@"candor_collector_events_rejected_total\{[^}]*door=""otlp""[^}]*reason=""invalid-value""[^}]*\} 1", metrics);
        Assert.Matches(@"candor_collector_items_dropped_total\{[^}]*door=""otlp""[^}]*reason=""free-text""[^}]*\} 2", metrics);
    }

    [Fact]
    public async Task ItemsWithoutATime_AreStoredAtTheCollectorsTime()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        collector.Clock.Advance(TimeSpan.FromHours(5.3));
        var arrival = collector.Clock.GetUtcNow();
        var untimedLog = LogsJson(Guid.NewGuid(), "build").Replace("\"timeUnixNano\"", "\"unused\"", StringComparison.Ordinal);
        var untimedEnvelope = JsonNode.Parse(Envelope(key, Guid.NewGuid(), "test"))!.AsObject();
        untimedEnvelope.Remove("time");

        var logs = await PostAsync(collector, "/v1/logs", key, Encoding.UTF8.GetBytes(untimedLog), "application/json", gzip: false);
        var track = await PostAsync(collector, "/v2/track", null, Encoding.UTF8.GetBytes(untimedEnvelope.ToJsonString()), "application/json", gzip: false);

        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
        Assert.Equal(HttpStatusCode.OK, track.StatusCode);
        var rows = await InteropTool.RawAsync(collector);
        Assert.Equal(2, rows.Count);
        // Stored to the millisecond, as every event's time.
        Assert.All(rows, row => Assert.Equal(arrival.ToUnixTimeMilliseconds(), row["time"]!.GetValue<DateTimeOffset>().ToUnixTimeMilliseconds()));
    }

    [Fact]
    public async Task NameOrHash_KeepsAllowedNames_AndRefusesAHashTheClientMade()
    {
        var manifest = InteropTool.ManifestJson
            .Replace("{ \"name\": \"ok\", \"kind\": \"bool\",",
                "{ \"name\": \"lang\", \"kind\": \"nameOrHash\", \"allow\": [\"csharp\"], \"description\": \"The language.\" },\n{ \"name\": \"ok\", \"kind\": \"bool\",", StringComparison.Ordinal)
            .Replace("\"InputBytes\": \"size\"", "\"InputBytes\": \"size\", \"Lang\": \"lang\"", StringComparison.Ordinal);
        var (collector, key) = await InteropTool.StartAsync(manifest);
        await using var _ = collector;
        // SHA-256 of "fsharp": what a client could send as a "hash", and a dictionary reverses.
        var unkeyed = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("fsharp"u8));
        string Log(string lang) => LogsJson(Guid.NewGuid(), "build").Replace(
            "\"attributes\":[", $"\"attributes\":[{{\"key\":\"Lang\",\"value\":{{\"stringValue\":\"{lang}\"}}}},", StringComparison.Ordinal);

        var allowed = await PostAsync(collector, "/v1/logs", key, Encoding.UTF8.GetBytes(Log("csharp")), "application/json", gzip: false);
        var hashed = await PostAsync(collector, "/v1/logs", key, Encoding.UTF8.GetBytes(Log(unkeyed)), "application/json", gzip: false);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains("invalid-value", await hashed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var row = Assert.Single(await InteropTool.RawAsync(collector));
        Assert.Equal("csharp", row["properties"]!["lang"]!.GetValue<string>());
        Assert.False(Directory.GetFiles(collector.DataPath, "*", SearchOption.AllDirectories)
            .Any(f => File.ReadAllText(f, Encoding.Latin1).Contains(unkeyed, StringComparison.Ordinal)), "the client's hash is in the data folder");
    }

    [Fact]
    public async Task OtlpProtobuf_MalformedBody_Is400WithAStatusInProtobuf()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;

        var response = await PostAsync(collector, "/v1/traces", key, [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], "application/x-protobuf", gzip: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType!.MediaType);
        var status = new CodedInputStream(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.Varint), status.ReadTag());
        Assert.Equal(3, status.ReadInt32());
    }

    [Fact]
    public async Task Otlp_WrongKey_Is401_AndBearerKeyIsAccepted()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        var body = Encoding.UTF8.GetBytes(LogsJson(Guid.NewGuid(), "build"));

        var wrong = await PostAsync(collector, "/v1/logs", "candor_ingest_wrong", body, "application/json", gzip: false);
        var bearer = await PostAsync(collector, "/v1/logs", null, body, "application/json", gzip: false, bearer: key);

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Single(await InteropTool.RawAsync(collector));
    }

    [Fact]
    public async Task ForeignDoors_CompressionBombAndOversizeBodies_Are413()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        var bomb = new byte[16 * 1024 * 1024];
        var oversize = new byte[2 * 1024 * 1024];

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(collector, "/v1/logs", key, bomb, "application/x-protobuf", gzip: true)).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(collector, "/v1/traces", key, oversize, "application/x-protobuf", gzip: false)).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(collector, "/v2/track", null, bomb, "application/x-json-stream", gzip: true)).StatusCode);
    }

    [Fact]
    public async Task ApplicationInsights_PartialBatch_Is206WithTheRefusedIndex_AndBadJsonIs400()
    {
        var (collector, key) = await InteropTool.StartAsync();
        await using var _ = collector;
        var install = Guid.NewGuid();
        var ndjson = string.Join('\n', Envelope(key, install, "test"), Envelope(key, install, "deploy"), "{not json", Envelope(key, install, "run", name: "NotMapped"));

        var partial = await PostAsync(collector, "/v2.1/track", null, Encoding.UTF8.GetBytes(ndjson), "application/x-json-stream", gzip: true);
        var bad = await PostAsync(collector, "/v2/track", null, Encoding.UTF8.GetBytes("[{\"iKey\": "), "application/json", gzip: false);

        Assert.Equal((HttpStatusCode)206, partial.StatusCode);
        var answer = JsonNode.Parse(await partial.Content.ReadAsStringAsync())!;
        Assert.Equal(4, answer["itemsReceived"]!.GetValue<int>());
        Assert.Equal(2, answer["itemsAccepted"]!.GetValue<int>());
        Assert.Equal([1, 2], answer["errors"]!.AsArray().Select(e => e!["index"]!.GetValue<int>()));
        Assert.All(answer["errors"]!.AsArray(), e => Assert.Equal(400, e!["statusCode"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("test", Assert.Single(await InteropTool.RawAsync(collector))["properties"]!["command"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApplicationInsights_PastTheKeysRate_Is429WithRetryAfter_AndOtherKeysGoOn()
    {
        var (collector, key) = await InteropTool.StartAsync(settings: new Dictionary<string, string?> { ["Ingestion:PermitsPerKey"] = "2", ["Ingestion:RateWindow"] = "01:00:00" });
        await using var _ = collector;
        var other = await collector.RegisterAsync(InteropTool.ManifestJson.Replace("\"product\": \"clitool\"", "\"product\": \"othertool\"", StringComparison.Ordinal));
        byte[] Body(string k) => Encoding.UTF8.GetBytes(Envelope(k, Guid.NewGuid(), "build"));

        var first = await PostAsync(collector, "/v2/track", null, Body(key), "application/json", gzip: false);
        var second = await PostAsync(collector, "/v2.1/track", null, Body(key), "application/json", gzip: false);
        var third = await PostAsync(collector, "/v2/track", null, Body(key), "application/json", gzip: false);
        var otherKey = await PostAsync(collector, "/v2/track", null, Body(other), "application/json", gzip: false);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((HttpStatusCode)429, third.StatusCode);
        Assert.True(third.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "a refused request says when to retry");
        Assert.Equal(0, JsonNode.Parse(await third.Content.ReadAsStringAsync())!["itemsAccepted"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
        Assert.Equal(2, (await InteropTool.RawAsync(collector)).Count);
        Assert.Matches(@"candor_collector_events_rejected_total\{[^}]*door=""applicationinsights""[^}]*reason=""rate-limited""[^}]*\} 1", await collector.Client().GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task ApplicationInsights_UnknownInstrumentationKey_RefusesEveryItemWith400()
    {
        var (collector, _) = await InteropTool.StartAsync();
        await using var __ = collector;

        var response = await PostAsync(collector, "/v2/track", null, Encoding.UTF8.GetBytes($"[{Envelope("candor_ingest_wrong", Guid.NewGuid(), "run")}]"), "application/json", gzip: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(0, answer["itemsAccepted"]!.GetValue<int>());
        Assert.Single(answer["errors"]!.AsArray());
    }

    [Fact]
    public async Task Registration_MappingToAnUndeclaredField_Is400NamingTheRule()
    {
        await using var collector = await TestCollector.StartAsync();
        var manifest = InteropTool.ManifestJson.Replace("\"ExitCode\": \"exitCode\"", "\"ExitCode\": \"exit\"", StringComparison.Ordinal);

        var response = await collector.Admin.PostAsync("/admin/products", TestCollector.JsonContent($"{{\"manifest\": {manifest}}}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("mappings.otlp.logs[0] (event 'command'): attribute 'ExitCode' maps to 'exit', which the event does not declare", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static string LogsJson(Guid install, params string[] commands)
    {
        static JsonObject Attribute(string key, JsonObject value) => new() { ["key"] = key, ["value"] = value };
        var records = new JsonArray();
        foreach (var command in commands)
        {
            records.Add(new JsonObject
            {
                ["timeUnixNano"] = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["eventName"] = "CommandRun",
                ["body"] = new JsonObject { ["stringValue"] = InteropTool.Canary },
                ["attributes"] = new JsonArray(
                    Attribute("Command", new JsonObject { ["stringValue"] = command }),
                    Attribute("ExitCode", new JsonObject { ["intValue"] = "2" })),
            });
        }

        return new JsonObject
        {
            ["resourceLogs"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject
                {
                    ["attributes"] = new JsonArray(
                        Attribute("candor.install", new JsonObject { ["stringValue"] = install.ToString() }),
                        Attribute("service.version", new JsonObject { ["stringValue"] = "1.0.0" })),
                },
                ["scopeLogs"] = new JsonArray(new JsonObject { ["logRecords"] = records }),
            }),
        }.ToJsonString();
    }

    private static string Envelope(string key, Guid install, string command, string name = "CommandRun") => new JsonObject
    {
        ["name"] = "Microsoft.ApplicationInsights.Event",
        ["time"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["iKey"] = key,
        ["tags"] = new JsonObject { ["ai.user.id"] = install.ToString() },
        ["data"] = new JsonObject
        {
            ["baseType"] = "EventData",
            ["baseData"] = new JsonObject { ["ver"] = 2, ["name"] = name, ["properties"] = new JsonObject { ["command"] = command } },
        },
    }.ToJsonString();

    private static async Task<HttpResponseMessage> PostAsync(TestCollector collector, string path, string? key, byte[] body, string mediaType, bool gzip, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        var content = new ByteArrayContent(gzip ? TestCollector.Gzip(body) : body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        request.Content = content;
        if (key is not null)
        {
            request.Headers.Add("x-candor-key", key);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await collector.Client().SendAsync(request);
    }
}
