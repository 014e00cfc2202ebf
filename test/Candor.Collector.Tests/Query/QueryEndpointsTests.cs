using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Candor.Protocol;

namespace Candor.Collector.Tests.Query;

public class QueryEndpointsTests
{
    private const string Range = "from=2026-03-01&to=2026-03-31";

    // Published counts carry sticky noise: each layer has a standard deviation of 2 (the default), and a figure
    // with conditions (an event, a filter, a group) has two layers. Six deviations of two layers is 17, the bound
    // these tests allow; groups of at least k + 2 installs are always shown and single installs never.
    private const int Noise = 17;

    [Fact]
    public async Task Events_PerDay_SuppressesDaysWithFewerThanKInstalls()
    {
        await using var collector = await StartAsync(k: 3, [.. Installs(8).Select(i => Some.Install(i)), Some.Install(time: Some.Now.AddDays(-2))]);

        var result = await GetAsync(collector, $"/query/sample/events?{Range}&event=install");

        Assert.Equal(1, result["suppressed"]!.GetValue<int>());
        var row = Assert.Single(result["rows"]!.AsArray())!;
        Assert.Equal("2026-03-10", row["period"]!.GetValue<string>());
        Assert.InRange(row["events"]!.GetValue<int>(), 8 - Noise, 8 + Noise);
        Assert.InRange(row["installs"]!.GetValue<int>(), 8 - Noise, 8 + Noise);
        Assert.Equal(3, result["k"]!.GetValue<int>());
        Assert.Equal((2.0, 1.0, 1.0), (result["noise"]!["installs"]!.GetValue<double>(), result["noise"]!["eventsPerHeaviest"]!.GetValue<double>(), result["noise"]!["threshold"]!.GetValue<double>()));
    }

    [Fact]
    public async Task EventsByProperty_HidesValuesTooFewInstallsSent()
    {
        await using var collector = await StartAsync(k: 3, [.. Installs(6).Select(i => Some.Install(i, triplet: "x64-linux")), Some.Install(triplet: "arm64-osx")]);

        var result = await GetAsync(collector, $"/query/sample/events/by/triplet?{Range}&event=install");

        Assert.Equal(["x64-linux"], Values(result, "value"));
        Assert.Equal(1, result["suppressed"]!.GetValue<int>());
    }

    [Fact]
    public async Task EventsByProperty_Filters_ByVersionOsAndCi()
    {
        var ci = Installs(6).Select(i => Some.Install(i)).ToList();
        ci.ForEach(e => e.Context.Ci = "github-actions");
        var windows = Installs(6).Select(i => Some.Install(i, triplet: "x64-windows")).ToList();
        windows.ForEach(e => e.Context.Os = "windows");
        await using var collector = await StartAsync(k: 3, [.. ci, .. windows]);

        var notCi = await GetAsync(collector, $"/query/sample/events/by/triplet?{Range}&ci=false");
        var onlyCi = await GetAsync(collector, $"/query/sample/events/by/triplet?{Range}&ci=true");
        var onWindows = await GetAsync(collector, $"/query/sample/events/by/triplet?{Range}&os=windows&version=1.4.0");

        Assert.Equal(["x64-windows"], Values(notCi, "value"));
        Assert.Equal(["x64-linux"], Values(onlyCi, "value"));
        Assert.Equal(["x64-windows"], Values(onWindows, "value"));
    }

    [Fact]
    public async Task Installs_PerWeekAndMonth_CountDistinctInstalls()
    {
        var installs = Installs(6);
        await using var collector = await StartAsync(k: 3,
            [.. installs.Select(i => Some.Install(i)), .. installs.Select(i => Some.Install(i, Some.Now.AddDays(-1))), .. installs.Select(i => Some.Failed(i))]);

        var weeks = await GetAsync(collector, $"/query/sample/installs?{Range}&interval=week");
        var months = await GetAsync(collector, $"/query/sample/installs?{Range}&interval=Month");

        Assert.Equal(["2026-03-09"], Values(weeks, "period"));
        Assert.InRange(weeks["rows"]![0]!["installs"]!.GetValue<int>(), 6 - Noise, 6 + Noise);
        Assert.Equal(["2026-03-01"], Values(months, "period"));
        // One layer (no condition), and the same installs in the week and the month: the same noise.
        Assert.Equal(weeks["rows"]![0]!["installs"]!.GetValue<int>(), months["rows"]![0]!["installs"]!.GetValue<int>());
    }

    [Fact]
    public async Task Ratio_ByPackage_GivesFailureRatesOfGroupsLargeEnough()
    {
        var installs = Installs(8);
        await using var collector = await StartAsync(k: 3,
        [
            .. installs.Select(i => Some.Install(i, packages: ["zlib", "openssl"])),
            .. installs.Take(7).Select(i => Some.Failed(i, packages: ["zlib"])),
            Some.Failed(installs[7], packages: ["openssl"]),
        ]);

        var result = await GetAsync(collector, $"/query/sample/ratio?{Range}&numerator=install-failed&denominator=install&by=packages");

        // Both groups have eight installs. openssl's one failing install is too few to show: its numerator and
        // rate are hidden, as they would be had nobody failed, and its row stays.
        var rows = result["rows"]!.AsArray();
        Assert.Equal(["zlib", "openssl"], Values(result, "group"));
        var (numerator, denominator) = (rows[0]!["numerator"]!.GetValue<int>(), rows[0]!["denominator"]!.GetValue<int>());
        Assert.InRange(numerator, 7 - Noise, 7 + Noise);
        Assert.InRange(denominator, 8 - Noise, 8 + Noise);
        Assert.Equal(denominator == 0 ? 0 : (double)numerator / denominator, rows[0]!["rate"]!.GetValue<double>(), 6);
        Assert.Null(rows[1]!["numerator"]);
        Assert.Null(rows[1]!["rate"]);
        Assert.InRange(rows[1]!["denominator"]!.GetValue<int>(), 8 - Noise, 8 + Noise);
        Assert.Equal(0, result["suppressed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Ratio_WithNobodyFailing_HidesTheNumeratorUnderAThreshold_AndShowsZeroWithout()
    {
        var installs = Installs(8);
        WireEvent[] events = [.. installs.Select(i => Some.Install(i, packages: ["zlib"]))];
        await using var hiding = await StartAsync(k: 3, events);
        await using var showing = await StartAsync(k: 1, events);

        var hidden = Assert.Single((await GetAsync(hiding, $"/query/sample/ratio?{Range}&numerator=install-failed&denominator=install"))["rows"]!.AsArray())!;
        var shown = Assert.Single((await GetAsync(showing, $"/query/sample/ratio?{Range}&numerator=install-failed&denominator=install"))["rows"]!.AsArray())!;

        Assert.Null(hidden["numerator"]);
        Assert.Null(hidden["rate"]);
        Assert.Equal(0, shown["numerator"]!.GetValue<int>());
        Assert.Equal(0, shown["rate"]!.GetValue<double>());
    }

    [Fact]
    public async Task Durations_GivePercentiles_AndSuppressSmallPeriods()
    {
        var installs = Installs(200);
        await using var collector = await StartAsync(k: 5,
        [
            .. installs.Select((i, n) => Some.Install(i, buildTime: n < 120 ? 100 : n < 160 ? 500 : 1000)),
            Some.Install(time: Some.Now.AddDays(-3), buildTime: 5),
        ]);

        var result = await GetAsync(collector, $"/query/sample/durations?{Range}&event=install&measurement=buildTime&interval=day");

        // Noisy buckets (a few durations either way) and the slowest few left out move no percentile here out of its bucket.
        var row = Assert.Single(result["rows"]!.AsArray())!;
        Assert.InRange(row["count"]!.GetValue<int>(), 200 - 20, 200 + 20);
        Assert.InRange(row["p50"]!.GetValue<double>(), 99, 101);
        Assert.InRange(row["p90"]!.GetValue<double>(), 990, 1010);
        Assert.InRange(row["p99"]!.GetValue<double>(), 990, 1010);
        Assert.Equal(1, result["suppressed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Shares_OfVersions_AreFractionsOfAllInstalls()
    {
        var older = Installs(6).Select(i => Some.Install(i)).ToList();
        older.ForEach(e => e.Context.Version = "1.3.0");
        var rare = Some.Install(time: Some.Now.AddDays(-1));
        rare.Context.Version = "0.9.0";
        await using var collector = await StartAsync(k: 2, [.. older, .. Installs(30).Select(i => Some.Install(i)), rare]);

        var result = await GetAsync(collector, $"/query/sample/shares/version?{Range}");

        Assert.Equal(["1.4.0", "1.3.0"], Values(result, "value"));
        AssertShare(result["rows"]![0]!, installs: 30, total: 37);
        Assert.Equal(1, result["suppressed"]!.GetValue<int>());
    }

    // A share is the group's published installs over the scope's published total: both within the noise of the exact
    // counts (the total has one layer, six deviations of which are 12), and the share is exactly their quotient.
    private static void AssertShare(JsonNode row, int installs, int total)
    {
        var shown = row["installs"]!.GetValue<long>();
        var share = row["share"]!.GetValue<double>();
        Assert.InRange(shown, Math.Max(0, installs - Noise), installs + Noise);
        if (shown == 0)
        {
            Assert.Equal(0, share);
            return;
        }

        Assert.InRange(shown / share, Math.Max(1, total - 12) - 0.5, total + 12 + 0.5);
    }

    [Fact]
    public async Task Shares_OfContainersAndCiVendors_NameEachGroup()
    {
        var inCi = Installs(5).Select(i => Some.Install(i)).ToList();
        inCi.ForEach(e => e.Context.Ci = "gitlab");
        var inContainer = Installs(5).Select(i => Some.Install(i)).ToList();
        inContainer.ForEach(e => e.Context.Container = true);
        await using var collector = await StartAsync(k: 2, [.. inCi, .. inContainer, .. Installs(20).Select(i => Some.Install(i))]);

        var containers = await GetAsync(collector, $"/query/sample/shares/container?{Range}");
        var vendors = await GetAsync(collector, $"/query/sample/shares/ci?{Range}");

        Assert.Equal(["false", "true"], Values(containers, "value"));
        AssertShare(containers["rows"]![1]!, installs: 5, total: 30);
        Assert.Equal(["", "gitlab"], Values(vendors, "value"));
    }

    [Fact]
    public async Task Exceptions_ListTopSignaturesOfEnoughInstalls()
    {
        await using var collector = await StartAsync(k: 3,
        [
            .. Installs(30).Select(i => Some.Crash("System.IO.IOException at Sample.Cli.Run", i)),
            .. Installs(6).Select(i => Some.Crash("System.NullReferenceException at Sample.Cli.Parse", i)),
            Some.Crash("System.InvalidOperationException at Sample.Cli.Rare"),
        ]);

        var result = await GetAsync(collector, $"/query/sample/exceptions?{Range}&event=crash&top=5");

        Assert.Equal(["System.IO.IOException at Sample.Cli.Run", "System.NullReferenceException at Sample.Cli.Parse"], Values(result, "signature"));
        Assert.Equal(1, result["suppressed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Csv_WhenAskedForByParameterOrAccept_WritesHeaderAndTheSameRowsAsJson()
    {
        await using var collector = await StartAsync(k: 2, [.. Installs(6).Select(i => Some.Install(i)), Some.Install(triplet: "arm64-osx")]);
        var reader = collector.Client(await collector.CreateReaderAsync());

        var byParameter = await reader.GetAsync($"/query/sample/events/by/triplet?{Range}&format=csv");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/query/sample/events/by/triplet?{Range}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var byAccept = await reader.SendAsync(request);
        var json = (await GetAsync(collector, $"/query/sample/events/by/triplet?{Range}"))["rows"]![0]!;

        Assert.Equal("text/csv", byParameter.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"value,events,installs\nx64-linux,{json["events"]},{json["installs"]}\n", await byParameter.Content.ReadAsStringAsync());
        Assert.Equal("1", byParameter.Headers.GetValues("X-Candor-Suppressed").Single());
        Assert.Equal(await byParameter.Content.ReadAsStringAsync(), await byAccept.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnknownProduct_IsA404ForAnAdmin_AndA403ForAReaderWhichLearnsNothingOfWhatExists()
    {
        await using var collector = await StartAsync(k: 1, [Some.Install()]);
        var reader = collector.Client(await collector.CreateReaderAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await collector.Admin.GetAsync("/query/nope/events")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("/query/nope/events")).StatusCode);
    }

    [Theory]
    [InlineData("/query/sample/events?from=2026-03-10&to=2026-03-01", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/events?from=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/events?event=uninstall", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/events/by/userName", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/events/by/buildTime?event=install", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/durations?event=install&measurement=retries", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/ratio?numerator=install-failed&denominator=install&by=triplet", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/shares/hostname", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/shares/4", HttpStatusCode.BadRequest)]
    [InlineData("/query/sample/exceptions?event=install", HttpStatusCode.BadRequest)]
    public async Task BadQuery_IsA4xxThatSaysWhy(string path, HttpStatusCode expected)
    {
        await using var collector = await StartAsync(k: 1, [Some.Install()]);
        var reader = collector.Client(await collector.CreateReaderAsync());

        var response = await reader.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Query_WithoutReaderToken_Is401()
    {
        await using var collector = await StartAsync(k: 1, []);

        Assert.Equal(HttpStatusCode.Unauthorized, (await collector.Client().GetAsync("/query/sample/events")).StatusCode);
    }

    [Fact]
    public async Task Raw_ShowsEverythingStored_TheWholeContext_AndNothingOfTheMachineOrTheVerifier()
    {
        var sent = Some.Install();
        sent.Context.Container = true;
        await using var collector = await StartAsync(k: 1, [sent]);

        var result = (await collector.Admin.GetFromJsonAsync<JsonObject>($"/query/sample/raw?{Range}"))!;
        var csv = await (await collector.Admin.GetAsync($"/query/sample/raw?{Range}&format=csv")).Content.ReadAsStringAsync();

        var row = Assert.Single(result["rows"]!.AsArray())!;
        Assert.Equal(
            ("ubuntu 22.04", "x64", "process", true, false, true),
            (row["osVersion"]!.GetValue<string>(), row["arch"]!.GetValue<string>(), row["host"]!.GetValue<string>(), row["container"]!.GetValue<bool>(),
                row["wsl"]!.GetValue<bool>(), row["interactive"]!.GetValue<bool>()));
        Assert.False(row.AsObject().ContainsKey("machine"));
        Assert.DoesNotContain(sent.Verifier!, result.ToJsonString(), StringComparison.Ordinal);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",osVersion,arch,host,container,wsl,interactive", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",ubuntu 22.04,x64,process,true,false,true", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DescribesIngestionAdminAndQueries()
    {
        await using var collector = await StartAsync(k: 1, []);

        var document = await collector.Client().GetFromJsonAsync<JsonObject>("/openapi/v1.json");

        var paths = document!["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains(ProtocolConstants.BatchPath, paths);
        Assert.Contains(ProtocolConstants.DeletePath, paths);
        Assert.Contains("/admin/products", paths);
        Assert.Contains("/query/{product}/events/by/{property}", paths);
        Assert.Contains("/query/{product}/durations", paths);
    }

    private static Guid[] Installs(int count) => [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid())];

    private static async Task<TestCollector> StartAsync(int k, WireEvent[] events)
    {
        var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(k: k);
        if (events.Length > 0)
        {
            var response = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events));
            Assert.Equal(events.Length, response.Accepted);
        }

        return collector;
    }

    private static async Task<JsonObject> GetAsync(TestCollector collector, string path)
    {
        var reader = collector.Client(await collector.CreateReaderAsync());
        var response = await reader.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static List<string> Values(JsonObject result, string column) =>
        [.. result["rows"]!.AsArray().Select(r => r![column]!.ToString())];
}
