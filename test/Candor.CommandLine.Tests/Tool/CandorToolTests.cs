using System.Text.Json;
using Candor.CommandLine.Tests.Support;

namespace Candor.CommandLine.Tests.Tool;

/// <summary>The <c>candor</c> tool as a user and a script run it, in real processes, over a home the pack sample used.</summary>
public sealed class CandorToolTests : IDisposable
{
    private readonly TempHome _home = new();

    // The pack sample as its official build: a source build collects nothing, so it would leave the tool nothing to show.
    private readonly ClosedPort _collector = new();

    public void Dispose()
    {
        _collector.Dispose();
        _home.Dispose();
    }

    private Task<Run> CandorAsync(params string[] args) => Programs.CandorAsync(_home, args);

    private Task<Run> PackAsync(params string[] args) => Programs.OfficialPackAsync(_home, _collector.Environment(), args);

    [Fact]
    public async Task Bare_ShowsHelpNamedCandor_WithoutColorWhenRedirected()
    {
        var run = await CandorAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:\n  candor [command] [options]", run.Output, StringComparison.Ordinal);
        foreach (var command in new[] { "status", "enable", "disable", "local", "errors", "show", "events", "pending", "purge", "forget" })
        {
            Assert.Contains($"\n  {command} ", run.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain('\u001b', run.Output);
    }

    [Theory]
    [InlineData(new[] { "bogus" }, "candor: Unrecognized command or argument 'bogus'. See 'candor --help'.")]
    [InlineData(new[] { "disable", "--product", "Not/A/Product" }, "candor: 'Not/A/Product' is not a product ID (lower-case letters, digits, '.', '_' and '-'). See 'candor --help'.")]
    [InlineData(new[] { "events", "--since", "last tuesday" }, "candor: 'last tuesday' is not a time: give a date (2025-06-01), a UTC time (2025-06-01T12:00:00Z) or an age (30m, 24h, 7d). See 'candor --help'.")]
    [InlineData(new[] { "status", "--verbose" }, "candor: Unrecognized command or argument '--verbose'. See 'candor --help'.")]
    [InlineData(new[] { "events", "--product" }, "candor: Required argument missing for option: '--product'. See 'candor --help'.")]
    public async Task BadArguments_GetOneLineOnStandardErrorAndExitCode2(string[] args, string error)
    {
        var run = await CandorAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal(error + "\n", run.Error);
    }

    [Fact]
    public async Task Status_EmptyHome_SaysNothingIsKnownAndWritesNothing()
    {
        var text = await CandorAsync("status");
        var json = JsonDocument.Parse((await CandorAsync("status", "--json")).Output).RootElement;

        Assert.Equal(0, text.ExitCode);
        Assert.Contains("No Candor-enabled tool has run with telemetry on for this user yet.", text.Output, StringComparison.Ordinal);
        Assert.Empty(json.GetProperty("products").EnumerateArray());
        Assert.Equal(_home.Home.Root, json.GetProperty("home").GetString());
        Assert.False(Directory.Exists(_home.Home.Root));
    }

    [Fact]
    public async Task Status_ListsEveryProduct_WithItsLevelAndWhy()
    {
        await PackAsync("list");
        await PackAsync("telemetry", "local");

        var run = await CandorAsync("status", "--json");

        var status = JsonDocument.Parse(run.Output).RootElement;
        var pack = Assert.Single(status.GetProperty("products").EnumerateArray());
        Assert.Equal("pack", pack.GetProperty("product").GetString());
        Assert.Equal("local", pack.GetProperty("level").GetString());
        Assert.Equal("user-product", pack.GetProperty("source").GetString());
        Assert.Equal("settings.json: products.pack = local", pack.GetProperty("detail").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("machineChoice").ValueKind);
    }

    [Fact]
    public async Task Status_ProductNothingIsKnownAbout_SaysSoAndExitsWith1()
    {
        await PackAsync("list");

        var run = await CandorAsync("status", "--product", "nope");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Equal("candor: nothing is known about 'nope' on this machine: no run of it was seen here and no choice was made for it. 'candor status' lists the products this machine knows.\n", run.Error);
        Assert.Equal(0, (await CandorAsync("status", "--product", "pack")).ExitCode);
    }

    [Fact]
    public async Task Status_OfAnOfficialBuild_SaysWhereItSendsAtEachLevel_AndNothingOnceOff()
    {
        var official = new Dictionary<string, string>
        {
            [OfficialPack.EndpointVariable] = "http://127.0.0.1:9",
            [OfficialPack.KeyVariable] = "candor_ingest_status",
            [OfficialPack.DetachedVariable] = "off",
        };
        await Programs.OfficialPackAsync(_home, official, "list");

        var on = await CandorAsync("status", "--product", "pack");
        await CandorAsync("errors", "--product", "pack");
        var errors = await CandorAsync("status", "--product", "pack");
        await CandorAsync("disable");
        var off = await CandorAsync("status", "--product", "pack");

        Assert.Contains("\n  sends    to http://127.0.0.1:9\n", on.Output, StringComparison.Ordinal);
        Assert.Contains("\n  sends    error events only, to http://127.0.0.1:9\n", errors.Output, StringComparison.Ordinal);
        Assert.Contains("\n  sends    nothing: telemetry is off here (this build's collector is http://127.0.0.1:9)\n", off.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sends    to", off.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disable_WithoutAProduct_TurnsEveryToolOffAndErasesTheirData()
    {
        await PackAsync("list");

        var run = await CandorAsync("disable");
        var status = JsonDocument.Parse((await CandorAsync("status", "--json")).Output).RootElement;
        var pack = await PackAsync("list");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Telemetry for every Candor tool on this machine is now off.\nEvery product's install ID, unsent events and logs on this machine were erased.\n", run.Output);
        Assert.False(Directory.Exists(_home.Home.ProductsDirectory));
        Assert.Equal("off", status.GetProperty("machineChoice").GetString());
        Assert.Equal("user-machine", status.GetProperty("products")[0].GetProperty("source").GetString());
        Assert.Equal("", pack.Error);
        Assert.False(Directory.Exists(_home.Home.ProductsDirectory));
    }

    [Fact]
    public async Task Enable_WithAProduct_WinsOverTheMachineWideChoice()
    {
        await PackAsync("list");
        await CandorAsync("disable");

        var run = await CandorAsync("enable", "--product", "pack", "--json");

        var result = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal("pack", result.GetProperty("product").GetString());
        Assert.Equal("all", result.GetProperty("status").GetProperty("level").GetString());
        Assert.Equal("user-product", result.GetProperty("status").GetProperty("source").GetString());
        var machineWide = await CandorAsync("local");
        Assert.Contains("These keep their own choice: pack (all).", machineWide.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_PrintsTheCatalogueOfAProductThatRan_AndSaysWhenNothingIsKnown()
    {
        await PackAsync("list");

        var list = await CandorAsync("show");
        var page = await CandorAsync("show", "pack");
        var manifest = await CandorAsync("show", "pack", "--json");
        var unknown = await CandorAsync("show", "kmpkg");

        Assert.Equal("pack  pack: 3 declared events\nShow one with 'candor show <product>'.\n", list.Output);
        var own = await PackAsync("telemetry", "show");
        Assert.Equal(own.Output, page.Output);
        Assert.Equal("pack", JsonDocument.Parse(manifest.Output).RootElement.GetProperty("product").GetString());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("candor: no run of 'kmpkg' has recorded its manifest on this machine. Its own 'telemetry show' command shows it.\n", unknown.Error);
    }

    [Fact]
    public async Task Pending_ShowsEachSpooledEventByteForByte()
    {
        using var collector = new ClosedPort();
        await Programs.OfficialPackAsync(_home, collector.Environment(), "list");
        await Programs.OfficialPackAsync(_home, collector.Environment(), "install", "fmt");

        var json = JsonDocument.Parse((await CandorAsync("pending", "--json")).Output).RootElement;
        var text = await CandorAsync("pending", "--product", "pack");

        var spooled = _home.Spooled();
        Assert.Equal(2, spooled.Count);
        var status = JsonDocument.Parse((await CandorAsync("status", "--json")).Output).RootElement;
        Assert.Equal(collector.Endpoint.ToString(), status.GetProperty("products")[0].GetProperty("collector").GetProperty("endpoint").GetString());
        Assert.Equal(2, status.GetProperty("products")[0].GetProperty("events").GetProperty("pending").GetInt32());
        Assert.Equal(spooled.Order(StringComparer.Ordinal), json.EnumerateArray().Select(e => e.GetProperty("event").GetRawText()).Order(StringComparer.Ordinal));
        Assert.All(spooled, s => Assert.Contains("\n  " + s + "\n", text.Output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Purge_DeletesEveryFileButTheChoices()
    {
        await PackAsync("list");
        await PackAsync("telemetry", "errors");
        await PackAsync("list");

        var run = await CandorAsync("purge", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["settings.json", "settings.lock"], Directory.GetFiles(_home.Home.Root, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(_home.Home.SettingsFile, JsonDocument.Parse(run.Output).RootElement.GetProperty("kept").GetString());
        var status = JsonDocument.Parse((await CandorAsync("status", "--json")).Output).RootElement;
        Assert.Equal("errors", status.GetProperty("products")[0].GetProperty("choice").GetString());
    }

    [Fact]
    public async Task Forget_NothingSent_ErasesTheLocalIdOnly()
    {
        // A source build (no collector) that made an identity by printing its events.
        await Programs.PackAsync(_home, "list", "--printmetrics");

        var run = await CandorAsync("forget");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("pack: erased the install ID, unsent events and logs on this machine.\n", run.Output);
        Assert.False(Directory.Exists(_home.Home.ProductDirectory("pack")));
    }

    [Fact]
    public async Task Forget_CollectorUnreachable_FailsAndKeepsTheLocalIdForARetry()
    {
        using var collector = new ClosedPort();
        await Programs.OfficialPackAsync(_home, collector.Environment(), "list");

        var run = await CandorAsync("forget", "--product", "pack");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("candor: pack: the collector could not be reached", run.Error, StringComparison.Ordinal);
        Assert.EndsWith(". Nothing was erased on this machine.\n", run.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(_home.Home.IdentityFile("pack")));
    }

    [Fact]
    public async Task Suggest_CompletesCommandsAndTheProductsOfThisMachine()
    {
        await PackAsync("list");

        var commands = await CandorAsync("[suggest:10]", "candor dis");
        var products = await CandorAsync("[suggest:26]", "candor disable --product ");

        Assert.Equal("disable\n", commands.Output);
        Assert.Equal("pack\n", products.Output);
    }

    [Fact]
    public async Task ChoicesChangedByManyProcessesAtOnce_AreAllKeptInAValidFile()
    {
        string[][] changes =
        [
            ["local", "--product", "alpha"], ["errors", "--product", "beta"], ["disable", "--product", "gamma"],
            ["enable", "--product", "delta"], ["local", "--product", "epsilon"], ["errors"],
        ];
        var runs = changes.Select(args => Programs.RunAsync(Programs.Candor, _home, null, args))
            .Append(PackAsync("telemetry", "disable"))
            .ToList();

        var results = await Task.WhenAll(runs);

        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        var settings = JsonDocument.Parse(File.ReadAllText(_home.Home.SettingsFile)).RootElement;
        Assert.Equal("errors", settings.GetProperty("level").GetString());
        var products = settings.GetProperty("products");
        Assert.Equal("local", products.GetProperty("alpha").GetProperty("level").GetString());
        Assert.Equal("errors", products.GetProperty("beta").GetProperty("level").GetString());
        Assert.Equal("off", products.GetProperty("gamma").GetProperty("level").GetString());
        Assert.Equal("all", products.GetProperty("delta").GetProperty("level").GetString());
        Assert.Equal("local", products.GetProperty("epsilon").GetProperty("level").GetString());
        Assert.Equal("off", products.GetProperty("pack").GetProperty("level").GetString());
    }
}
