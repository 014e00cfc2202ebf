using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Collector.Tests.Storage.Postgres;

[NeedsPostgres]
public class PostgresCollectorTests
{
    private const string Range = "from=2026-03-01&to=2026-03-31";

    [DatabaseFact]
    public async Task Collector_OnPostgres_IngestsQueriesAndDeletesOverHttp()
    {
        var (schema, connectionString) = await PostgresServer.CreateSchemaAsync();
        try
        {
            await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "Postgres",
                ["Storage:ConnectionString"] = connectionString,
            });
            var key = await collector.RegisterAsync(k: 1);
            var alice = Guid.NewGuid();
            var first = Some.Install(alice, buildTime: 100);
            var events = new[] { first, Some.Install(alice, buildTime: 200), Some.Crash("System.Exception at Sample.Cli.Fail", alice), Some.Install(buildTime: 300) };

            var sent = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events));
            var retried = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [first]));
            var reader = collector.Client(await collector.CreateReaderAsync());
            var before = await GetAsync(reader, $"/query/sample/events?{Range}&interval=total");
            var durations = await GetAsync(reader, $"/query/sample/durations?{Range}&event=install&measurement=buildTime&interval=total");
            var exactBefore = await collector.Store.CountEventsExactAsync(new EventFilter(Some.Product, new(2026, 3, 1), new(2026, 3, 31)), Interval.Total, default);
            var unproven = await collector.PostRawAsync(key, Encoding.UTF8.GetBytes($$"""{"install":"{{alice}}","proof":"{{Some.ProofOf(Guid.NewGuid())}}"}"""), gzip: false, path: ProtocolConstants.DeletePath);
            var deletion = await collector.PostRawAsync(key, Encoding.UTF8.GetBytes($$"""{"install":"{{alice}}","proof":"{{Some.ProofOf(alice)}}"}"""), gzip: false, path: ProtocolConstants.DeletePath);
            var after = await GetAsync(reader, $"/query/sample/events?{Range}&interval=total");

            Assert.Equal((4, 0), (sent.Accepted, sent.Duplicates));
            Assert.Equal((0, 1), (retried.Accepted, retried.Duplicates));
            // The answers carry noise (each layer's deviation 2, or 3 for the events of alice's three-event day): six deviations either way.
            Assert.InRange(Totals(before).Events, 4 - 18, 4 + 18);
            Assert.InRange(Totals(before).Installs, 0, 2 + 12);
            Assert.Equal([new PeriodCount(new(2026, 3, 1), 4, 2)], exactBefore);
            Assert.Equal(1, durations["suppressed"]!.GetValue<int>() + durations["rows"]!.AsArray().Count);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, unproven.StatusCode);
            Assert.Equal(3, (await deletion.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.DeleteInstallResponse))!.Deleted);
            Assert.InRange(Totals(after).Events, 0, 1 + 12);
            Assert.Equal([new PeriodCount(new(2026, 3, 1), 1, 1)], await collector.Store.CountEventsExactAsync(new EventFilter(Some.Product, new(2026, 3, 1), new(2026, 3, 31)), Interval.Total, default));
            Assert.Equal(1, await collector.Store.CountRawEventsAsync(Some.Product, default));
            Assert.Matches($"Data: PostgreSQL database '.+' on .+, schema {schema}", collector.Console.ToString());
        }
        finally
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    // An OTLP record without a time is stamped with its arrival: sent again a month later it is the same item (its ID
    // is made from its bytes) with another time, and still stored once. A record with its own time keeps it.
    [DatabaseFact]
    public async Task Collector_OnPostgres_OtlpRecordWithoutATimeRetriedNextMonth_IsStoredOnce()
    {
        var (schema, connectionString) = await PostgresServer.CreateSchemaAsync();
        try
        {
            var (collector, key) = await Interop.InteropTool.StartAsync(settings: new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "Postgres",
                ["Storage:ConnectionString"] = connectionString,
            });
            await using var _ = collector;
            var untimed = Encoding.UTF8.GetBytes(OtlpLog(Guid.NewGuid(), time: null));
            var timed = Encoding.UTF8.GetBytes(OtlpLog(Guid.NewGuid(), collector.Clock.GetUtcNow()));

            await PostLogsAsync(collector, key, untimed);
            await PostLogsAsync(collector, key, timed);
            collector.Clock.Advance(TimeSpan.FromDays(40));
            await PostLogsAsync(collector, key, untimed);
            await PostLogsAsync(collector, key, timed);

            Assert.Equal(2, await collector.Store.CountRawEventsAsync("clitool", default));
        }
        finally
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    [DatabaseFact]
    public async Task Collectors_SharingOneDatabase_SeeEachOthersKeysRevocationsAndSettings()
    {
        var (schema, connectionString) = await PostgresServer.CreateSchemaAsync();
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "Postgres",
                ["Storage:ConnectionString"] = connectionString,
            };
            await using var first = await TestCollector.StartAsync(settings);
            await using var second = await TestCollector.StartAsync(settings);
            var key = await first.RegisterAsync(k: 1);
            var readerToken = await first.CreateReaderAsync();
            var reader = second.Client(readerToken);
            var install = Some.Install();

            // Unknown to the second collector until it reads the store again.
            var early = await second.PostBatchAsync(key, [install]);
            var readerEarly = await reader.GetAsync($"/query/sample/events?{Range}");
            second.Clock.Advance(TimeSpan.FromSeconds(30));
            await TestCollector.EventuallyAsync(async () => (await second.PostBatchAsync(key, [install])).IsSuccessStatusCode, "the key on the second collector");
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/query/sample/events?{Range}")).StatusCode);

            // Both collectors key the noise with the one secret kept in the database, so they publish the same figures.
            var both = await Task.WhenAll(first.Client(readerToken).GetStringAsync($"/query/sample/events?{Range}&interval=total"), reader.GetStringAsync($"/query/sample/events?{Range}&interval=total"));
            Assert.Contains("\"installs\"", both[0], StringComparison.Ordinal);
            Assert.Equal(both[0], both[1]);

            // Revoked and re-set through the first: the second follows at its next refresh.
            var tokens = await first.Admin.GetFromJsonAsync<JsonArray>("/admin/tokens");
            var readerId = tokens!.Single(t => t!["role"]!.GetValue<string>() == "reader")!["id"]!.GetValue<long>();
            Assert.Equal(HttpStatusCode.NoContent, (await first.Admin.DeleteAsync($"/admin/tokens/{readerId}")).StatusCode);
            (await first.Admin.PatchAsync("/admin/products/sample", TestCollector.JsonContent("""{"kThreshold": 7}"""))).EnsureSuccessStatusCode();
            second.Clock.Advance(TimeSpan.FromSeconds(30));
            await TestCollector.EventuallyAsync(async () => (await reader.GetAsync($"/query/sample/events?{Range}")).StatusCode == HttpStatusCode.Unauthorized, "the revocation on the second collector");
            var catalog = second.Services.GetRequiredService<ProductCatalog>();
            await TestCollector.EventuallyAsync(() => Task.FromResult(catalog.Find("sample")!.Record.KThreshold == 7), "the new k on the second collector");

            Assert.Equal(HttpStatusCode.Unauthorized, early.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, readerEarly.StatusCode);
        }
        finally
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    [DatabaseFact]
    public async Task Batch_OnPostgres_StackWithControlCharacters_IsRejectedByIndexAndTheRestStored()
    {
        var (schema, connectionString) = await PostgresServer.CreateSchemaAsync();
        try
        {
            await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "Postgres",
                ["Storage:ConnectionString"] = connectionString,
            });
            var key = await collector.RegisterAsync();
            var (first, nul, last) = (Some.Install(), Some.Crash("System.IO.IOException\0 at Sample.Cli.Run"), Some.Crash("System.IO.IOException at Sample.Cli.Run"));

            var response = await collector.PostBatchAsync(key, [first, nul, last]);

            var answer = await TestCollector.ReadBatchAsync(response);
            Assert.Equal(2, answer.Accepted);
            Assert.Equal([(1, nul.Id, RejectionReasons.InvalidValue)], answer.Rejected.Select(r => (r.Index, r.Id, r.Reason)));
            Assert.Equal(2, await collector.Store.CountRawEventsAsync(Some.Product, default));
        }
        finally
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    private static async Task<JsonObject> GetAsync(HttpClient reader, string path)
    {
        var response = await reader.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static (int Events, int Installs) Totals(JsonObject result)
    {
        var row = Assert.Single(result["rows"]!.AsArray())!;
        return (row["events"]!.GetValue<int>(), row["installs"]!.GetValue<int>());
    }

    private static string OtlpLog(Guid install, DateTimeOffset? time)
    {
        var record = new JsonObject
        {
            ["eventName"] = "CommandRun",
            ["attributes"] = new JsonArray(new JsonObject { ["key"] = "Command", ["value"] = new JsonObject { ["stringValue"] = "build" } }),
        };
        if (time is { } t)
        {
            record["timeUnixNano"] = (t.ToUnixTimeMilliseconds() * 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return new JsonObject
        {
            ["resourceLogs"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject
                {
                    ["attributes"] = new JsonArray(new JsonObject { ["key"] = "candor.install", ["value"] = new JsonObject { ["stringValue"] = install.ToString() } }),
                },
                ["scopeLogs"] = new JsonArray(new JsonObject { ["logRecords"] = new JsonArray(record) }),
            }),
        }.ToJsonString();
    }

    private static async Task PostLogsAsync(TestCollector collector, string key, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/logs") { Content = content };
        request.Headers.Add("x-candor-key", key);
        using var response = await collector.Client().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("rejected", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
