using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Candor.Protocol;

namespace Candor.Collector.Tests.Query;

/// <summary>
/// The five differencing attacks that recovered what k was meant to hide while the query API published exact
/// counts, run against a real collector. Each builds many independent worlds (one product each: the noise is keyed
/// by the product, so every world's noise is independent) in which one hidden install has one of two values, runs
/// the attack, and checks that the attacker guesses right no more often than <see cref="GuessBound"/>, where exact
/// answers gave 100%, and that the hidden count recovered is off by at least a stated spread.
/// </summary>
public class DifferencingAttackTests
{
    private const string Range = "from=2026-03-01&to=2026-03-31";

    /// <summary>Worlds per attack: the guess rate's standard error is then about 3.5 points.</summary>
    private const int Worlds = 200;

    /// <summary>The most often an attacker may guess a binary secret right (exact answers: 100%; a coin: 50%).</summary>
    private const double GuessBound = 0.70;

    private const int K = 5;

    [Fact]
    public async Task A_TotalMinusShownGroups_DoesNotGiveTheHiddenGroupsCount()
    {
        var (guesses, errors) = await AttackAsync(
            world => [.. Many(12, "x64-linux"), .. Many(12, "x64-windows"), .. Many(world ? 2 : 1, "arm64-osx")],
            async (reader, product) =>
            {
                var total = Sum(await GetAsync(reader, $"/query/{product}/installs?{Range}&interval=total"), "installs");
                var shown = Sum(await GetAsync(reader, $"/query/{product}/events/by/triplet?{Range}&event=install"), "installs");
                return total - shown;
            },
            recovered => recovered >= 1.5,
            world => world ? 2 : 1);

        Assert.InRange(guesses, 0, GuessBound);
        Assert.True(errors >= 2, $"the hidden count was recovered within a spread of {errors:0.00} installs");
    }

    [Fact]
    public async Task B_BreakdownWithAndWithoutAVersionFilter_DoesNotGiveTheLoneInstallsValue()
    {
        var (guesses, _) = await AttackAsync(
            world => [.. Many(10, "x64-linux"), .. Many(10, "x64-windows"), Lone(world ? "x64-windows" : "x64-linux", version: "2.0.0")],
            async (reader, product) =>
            {
                var all = await GetAsync(reader, $"/query/{product}/events/by/triplet?{Range}&event=install");
                var older = await GetAsync(reader, $"/query/{product}/events/by/triplet?{Range}&event=install&version=1.4.0");
                double Difference(string triplet) => Installs(all, triplet) - Installs(older, triplet);
                return Difference("x64-windows") - Difference("x64-linux");
            },
            difference => difference > 0,
            world => 0);

        Assert.InRange(guesses, 0, GuessBound);
    }

    [Fact]
    public async Task C_InstallsMinusInstallsOnOneOs_DoesNotGiveTheLoneInstallsOs()
    {
        var (guesses, errors) = await AttackAsync(
            world => [.. Many(12, "x64-linux"), Lone("x64-linux", os: world ? "windows" : "linux")],
            async (reader, product) =>
                Sum(await GetAsync(reader, $"/query/{product}/installs?{Range}&interval=total"), "installs")
                - Sum(await GetAsync(reader, $"/query/{product}/installs?{Range}&interval=total&os=linux"), "installs"),
            difference => difference >= 0.5,
            world => world ? 1 : 0);

        Assert.InRange(guesses, 0, GuessBound);
        Assert.True(errors >= 1.5, $"the installs off Linux were recovered within a spread of {errors:0.00}");
    }

    [Fact]
    public async Task D_DurationsP99_NeverReadsTheSlowestInstallsBuildTime()
    {
        // Eight installs build in a second; the ninth in 2 s or 8 s. An exact p99 of nine durations is the slowest.
        var (guesses, _) = await AttackAsync(
            world => [.. Enumerable.Range(0, 8).Select(_ => Some.Install(buildTime: 1000)), Some.Install(buildTime: world ? 8000 : 2000)],
            async (reader, product) =>
            {
                var rows = (await GetAsync(reader, $"/query/{product}/durations?{Range}&event=install&measurement=buildTime&interval=total"))["rows"]!.AsArray();
                return rows.Count == 0 ? double.NaN : rows[0]!["p99"]!.GetValue<double>();
            },
            p99 => p99 > 4000,
            world => 0);

        Assert.InRange(guesses, 0, GuessBound);
    }

    [Fact]
    public async Task E_EventsTotalMinusOneVersionsEvents_DoesNotGiveTheHiddenVersionsEvents()
    {
        // Ten installs send one to three events; the install of the hidden version sends 20 or 30.
        var (guesses, errors) = await AttackAsync(
            world =>
            [
                .. Enumerable.Range(0, 10).SelectMany(i => Enumerable.Range(0, 1 + (i % 3)).Select(_ => Some.Install(InstallOf(i)))),
                .. Enumerable.Range(0, world ? 30 : 20).Select(_ => Versioned(Some.Install(HiddenInstall), "2.0.0")),
            ],
            async (reader, product) =>
                Sum(await GetAsync(reader, $"/query/{product}/events?{Range}&interval=total"), "events")
                - Sum(await GetAsync(reader, $"/query/{product}/events?{Range}&interval=total&version=1.4.0"), "events"),
            events => events >= 25,
            world => world ? 30 : 20);

        Assert.InRange(guesses, 0, GuessBound);
        Assert.True(errors >= 10, $"the hidden version's events were recovered within a spread of {errors:0.00}");
    }

    [Fact]
    public async Task F_ARatioByGroup_DoesNotTellOneFailingInstallFromNone()
    {
        // Twelve installs use zlib and openssl and eight of them fail with zlib; one more install fails with openssl,
        // or none does. A row shown with 0 failures beside a row hidden for one would tell the two apart.
        var (guesses, _) = await AttackAsync(
            world =>
            [
                .. Enumerable.Range(0, 12).Select(i => Some.Install(InstallOf(i), packages: ["zlib", "openssl"])),
                .. Enumerable.Range(0, 8).Select(i => Some.Failed(InstallOf(i), packages: ["zlib"])),
                .. world ? [Some.Failed(InstallOf(11), packages: ["openssl"])] : Array.Empty<WireEvent>(),
            ],
            async (reader, product) =>
            {
                var rows = (await GetAsync(reader, $"/query/{product}/ratio?{Range}&numerator=install-failed&denominator=install&by=packages"))["rows"]!.AsArray();
                var openssl = rows.FirstOrDefault(r => r!["group"]!.GetValue<string>() == "openssl");
                // A missing row says "hidden, so someone failed"; a shown numerator says how many did.
                return openssl is null ? 1 : openssl["numerator"] is { } numerator ? numerator.GetValue<double>() : 0.5;
            },
            failures => failures >= 0.75,
            world => world ? 1 : 0);

        Assert.InRange(guesses, 0, GuessBound);
    }

    [Fact]
    public async Task SameQueryTwice_AndTheSameInstallsAskedAnotherWay_GiveTheSameFigures()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(k: K);
        var installs = Enumerable.Range(0, 9).Select(_ => Guid.NewGuid()).ToList();
        await collector.PostBatchAsync(key, [.. installs.Select(i => Some.Install(i))]);
        var reader = collector.Client(await collector.CreateReaderAsync());

        var first = await reader.GetStringAsync($"/query/sample/installs?{Range}&interval=total");
        var again = await reader.GetStringAsync($"/query/sample/installs?{Range}&interval=total");
        // Another range with the same installs counts the same set: the same figure.
        var widened = await reader.GetFromJsonAsync<JsonObject>("/query/sample/installs?from=2026-01-01&to=2026-03-31&interval=total");
        // The OS breakdown's only group and the filter on it are the same installs under the same condition.
        var byOs = await reader.GetFromJsonAsync<JsonObject>($"/query/sample/shares/os?{Range}");
        var onLinux = await reader.GetFromJsonAsync<JsonObject>($"/query/sample/installs?{Range}&interval=total&os=linux");

        Assert.Equal(first, again);
        Assert.Equal(Sum(JsonNode.Parse(first)!.AsObject(), "installs"), Sum(widened!, "installs"));
        Assert.Equal(Installs(byOs!, "linux"), Sum(onLinux!, "installs"));
    }

    private static readonly Guid HiddenInstall = Guid.Parse("0f0f0f0f-0000-4000-8000-000000000001");

    private static Guid InstallOf(int i) => new(i + 1, 0, 0x4000, 0x80, 0, 0, 0, 0, 0, 0, 0);

    private static IEnumerable<WireEvent> Many(int count, string triplet) => Enumerable.Range(0, count).Select(_ => Some.Install(triplet: triplet));

    private static WireEvent Lone(string triplet, string version = "1.4.0", string os = "linux")
    {
        var e = Some.Install(triplet: triplet);
        e.Context.Version = version;
        e.Context.Os = os;
        return e;
    }

    private static WireEvent Versioned(WireEvent e, string version)
    {
        e.Context.Version = version;
        return e;
    }

    // Runs one attack over many worlds: the share of right guesses, and the standard deviation of what it
    // recovered around the truth.
    private static async Task<(double Guesses, double Spread)> AttackAsync(
        Func<bool, WireEvent[]> world, Func<HttpClient, string, Task<double>> attack, Func<double, bool> guess, Func<bool, double> truth)
    {
        // Every world's events come from 127.0.0.1, more batches a minute than one address may send by default.
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerAddress"] = "100000" });
        var random = new Random(15);
        var secrets = new bool[Worlds];
        for (var w = 0; w < Worlds; w++)
        {
            var product = $"w{w}";
            var key = await collector.RegisterAsync(Some.ManifestJson.Replace("\"product\": \"sample\"", $"\"product\": \"{product}\"", StringComparison.Ordinal), k: K);
            secrets[w] = random.Next(2) == 1;
            var events = world(secrets[w]);
            foreach (var e in events)
            {
                e.Product = product;
            }

            var sent = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events));
            Assert.Equal(events.Length, sent.Accepted);
        }

        var reader = collector.Client(await collector.CreateReaderAsync());
        var right = 0;
        var squares = 0.0;
        for (var w = 0; w < Worlds; w++)
        {
            var recovered = await attack(reader, $"w{w}");
            // An attack that gets no answer guesses at random.
            right += (double.IsNaN(recovered) ? random.Next(2) == 1 : guess(recovered)) == secrets[w] ? 1 : 0;
            squares += double.IsNaN(recovered) ? 0 : Math.Pow(recovered - truth(secrets[w]), 2);
        }

        return ((double)right / Worlds, Math.Sqrt(squares / Worlds));
    }

    private static async Task<JsonObject> GetAsync(HttpClient reader, string path)
    {
        var response = await reader.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static double Sum(JsonObject result, string column) => result["rows"]!.AsArray().Sum(r => r![column]!.GetValue<double>());

    private static double Installs(JsonObject result, string value) =>
        result["rows"]!.AsArray().Where(r => r!["value"]!.GetValue<string>() == value).Sum(r => r!["installs"]!.GetValue<double>());
}
