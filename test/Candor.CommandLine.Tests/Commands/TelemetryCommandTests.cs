using System.Text.Json;
using Candor.CommandLine.Tests.Support;

namespace Candor.CommandLine.Tests.Commands;

/// <summary>The pack sample's <c>telemetry</c> commands, as a user types them, in real processes.</summary>
public sealed class TelemetryCommandTests : IDisposable
{
    private readonly TempHome _home = new();

    // For the official build, which collects (a source build collects nothing and owes no notice).
    private readonly ClosedPort _collector = new();

    public void Dispose()
    {
        _collector.Dispose();
        _home.Dispose();
    }

    private Task<Run> PackAsync(params string[] args) => Programs.PackAsync(_home, args);

    private Task<Run> OfficialAsync(params string[] args) => Programs.OfficialPackAsync(_home, _collector.Environment(), args);

    private Task<Run> PackWithAsync(Dictionary<string, string> environment, params string[] args) => Programs.PackAsync(_home, environment, args);

    [Fact]
    public async Task Status_BeforeAnyRun_SaysTheNoticeIsDueAndCreatesNothing()
    {
        var run = await OfficialAsync("telemetry", "status", "--json");

        Assert.Equal(0, run.ExitCode);
        var status = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal("pack", status.GetProperty("product").GetString());
        Assert.Equal("all", status.GetProperty("level").GetString());
        Assert.Equal("product-default", status.GetProperty("source").GetString());
        Assert.True(status.GetProperty("noticePending").GetBoolean());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("install").ValueKind);
        Assert.False(Directory.Exists(_home.Home.Root));
    }

    [Fact]
    public async Task Status_OfASourceBuild_SaysItCollectsNothing_AndNoNoticeIsDue()
    {
        var run = await PackAsync("telemetry", "status", "--json");

        var status = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal("off", status.GetProperty("level").GetString());
        Assert.Equal("private-build", status.GetProperty("source").GetString());
        Assert.False(status.GetProperty("noticePending").GetBoolean());
        Assert.False(Directory.Exists(_home.Home.Root));
    }

    [Fact]
    public async Task Status_AfterARun_ShowsLevelWhyInstallIdAndWhereFilesAre()
    {
        // A source build collects only what it prints: this run makes its identity, and shows no notice.
        var printing = await PackAsync("list", "--printmetrics");
        Assert.DoesNotContain("pack collects anonymous usage data", printing.Error, StringComparison.Ordinal);

        var text = await PackAsync("telemetry", "status");
        var json = JsonDocument.Parse((await PackAsync("telemetry", "status", "--json")).Output).RootElement;

        var install = JsonDocument.Parse(File.ReadAllText(_home.Home.IdentityFile("pack"))).RootElement.GetProperty("install").GetString();
        Assert.Equal(install, json.GetProperty("install").GetString());
        Assert.False(json.GetProperty("noticePending").GetBoolean());
        Assert.Equal(_home.Home.ProductDirectory("pack"), json.GetProperty("directory").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("collector").GetProperty("endpoint").ValueKind);
        Assert.Equal(0, text.ExitCode);
        Assert.Equal(
            $"""
            pack
              level    off
              why      this build of pack has no ingestion key (a build from source): it collects nothing, but prints its events when asked and keeps them at the local level (private-build)
              sends    nothing: this build has no collector (a source build); events are only printed or kept locally
              choice   none (machine-wide: none)
              install  {install}
              events   0 waiting to be sent, 0 sent, 0 kept locally
              files    {_home.Home.ProductDirectory("pack")}
              settings {_home.Home.SettingsFile}

            """,
            text.Output);
        Assert.DoesNotContain('\u001b', text.Output);
    }

    [Theory]
    [InlineData("DO_NOT_TRACK", "1", "do-not-track", "DO_NOT_TRACK=1")]
    [InlineData("PACK_DISABLE_METRICS", "true", "product-variable", "PACK_DISABLE_METRICS=true")]
    [InlineData("CANDOR_TELEMETRY", "local", "candor-variable", "CANDOR_TELEMETRY=local")]
    public async Task Status_NamesTheVariableThatDecides(string variable, string value, string source, string detail)
    {
        var run = await PackWithAsync(new() { [variable] = value }, "telemetry", "status", "--json");

        var status = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal(source, status.GetProperty("source").GetString());
        Assert.Equal(detail, status.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Status_WithTheOptOutFlag_SaysTheFlagDecidesThisRun()
    {
        var run = await PackAsync("telemetry", "status", "--json", "--disable-metrics");

        var status = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal("off", status.GetProperty("level").GetString());
        Assert.Equal("command-line", status.GetProperty("source").GetString());
        Assert.Equal("--disable-metrics", status.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Disable_SavesTheChoiceAndErasesTheId_LaterRunsWriteNothing_EnableTurnsItBackOn()
    {
        await OfficialAsync("list");

        var disabled = await OfficialAsync("telemetry", "disable");
        var erased = !Directory.Exists(_home.Home.ProductDirectory("pack"));
        var before = _home.Snapshot();
        var silent = await OfficialAsync("install", "zlib", "--printmetrics");
        var after = _home.Snapshot();
        var enabled = await OfficialAsync("telemetry", "enable");

        Assert.Equal(0, disabled.ExitCode);
        Assert.Equal("Telemetry for pack is now off.\nIts install ID, unsent events and logs on this machine were erased.\n", disabled.Output);
        Assert.True(erased);
        Assert.Equal("", silent.Error);
        Assert.Equal(before, after);
        Assert.Equal("Telemetry for pack is now all.\n", enabled.Output);
        Assert.Contains("pack collects anonymous usage data", enabled.Error, StringComparison.Ordinal);
        var settings = JsonDocument.Parse(File.ReadAllText(_home.Home.SettingsFile)).RootElement;
        Assert.Equal("all", settings.GetProperty("products").GetProperty("pack").GetProperty("level").GetString());
    }

    [Fact]
    public async Task Enable_WhileDoNotTrackIsSet_SaysTheVariableStillDecides()
    {
        var run = await PackWithAsync(new() { ["DO_NOT_TRACK"] = "1" }, "telemetry", "enable");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Telemetry for pack is now all.\nNote: here and now DO_NOT_TRACK=1, so the level is off.\n", run.Output);
    }

    [Fact]
    public async Task Local_RecordsEventsThatEventsLists_AndNothingIsSpooled()
    {
        await PackAsync("list");
        await PackAsync("telemetry", "local");

        await PackAsync("cache", "clean");
        var events = await PackAsync("telemetry", "events", "--json");
        var text = await PackAsync("telemetry", "events");

        var logged = Assert.Single(JsonDocument.Parse(events.Output).RootElement.EnumerateArray());
        Assert.Equal("local", logged.GetProperty("state").GetString());
        Assert.Equal("/cache/clean", logged.GetProperty("event").GetProperty("properties").GetProperty("command").GetString());
        Assert.Empty(_home.Spooled());
        Assert.Contains("local  pack  command\n  {\"id\":", text.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Local_AfterDisable_ShowsTheNoticeAtOnce_SoTheNextRunRecords()
    {
        await OfficialAsync("list");
        await OfficialAsync("telemetry", "disable");

        var local = await OfficialAsync("telemetry", "local");
        var next = await OfficialAsync("list");

        Assert.Contains("pack collects anonymous usage data", local.Error, StringComparison.Ordinal);
        Assert.Equal("Telemetry for pack is now local.\n", local.Output);
        Assert.Equal("", next.Error);
        Assert.Single(JsonDocument.Parse((await OfficialAsync("telemetry", "events", "--json")).Output).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Local_OfASourceBuild_ShowsNoNotice_AndTheNextRunKeepsItsEvent()
    {
        // A build that cannot send owes no notice: what it keeps locally never leaves the machine.
        var local = await PackAsync("telemetry", "local");
        var next = await PackAsync("list");

        Assert.Equal("", local.Error);
        Assert.Equal("Telemetry for pack is now local.\n", local.Output);
        Assert.Equal("", next.Error);
        Assert.Single(JsonDocument.Parse((await PackAsync("telemetry", "events", "--json")).Output).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Enable_WhileOffByAVariable_ShowsNoNotice()
    {
        var run = await PackWithAsync(new() { ["DO_NOT_TRACK"] = "1" }, "telemetry", "enable");

        Assert.Equal("", run.Error);
        Assert.False(File.Exists(_home.Home.IdentityFile("pack")));
    }

    [Fact]
    public async Task Events_SinceLaterThanEverything_ListsNothing()
    {
        await PackAsync("list");
        await PackAsync("telemetry", "local");
        await PackAsync("list");

        var recent = await PackAsync("telemetry", "events", "--since", "1h", "--json");
        var future = await PackAsync("telemetry", "events", "--since", DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd"), "--json");

        Assert.Single(JsonDocument.Parse(recent.Output).RootElement.EnumerateArray());
        Assert.Empty(JsonDocument.Parse(future.Output).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Errors_SpoolsOnlyTheCrashEvent()
    {
        using var collector = new ClosedPort();
        await Programs.OfficialPackAsync(_home, collector.Environment(), "list");
        await Programs.OfficialPackAsync(_home, collector.Environment(), "telemetry", "errors");

        await Programs.OfficialPackAsync(_home, collector.Environment(), "list");
        await Programs.OfficialPackAsync(_home, collector.Environment(), "install", "broken");

        var spooled = Assert.Single(_home.Spooled());
        Assert.Equal("command-crash", JsonDocument.Parse(spooled).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Show_WritesThePrivacyPage_AndWithJsonTheManifest()
    {
        var page = await PackAsync("telemetry", "show");
        var manifest = await PackAsync("telemetry", "show", "--json");

        Assert.Equal(0, page.ExitCode);
        Assert.StartsWith("# pack telemetry and privacy\n", page.Output, StringComparison.Ordinal);
        Assert.Contains("`command`", page.Output, StringComparison.Ordinal);
        Assert.Contains("`option.triplet`", page.Output, StringComparison.Ordinal);
        var json = JsonDocument.Parse(manifest.Output).RootElement;
        Assert.Equal("pack", json.GetProperty("product").GetString());
        Assert.Equal(["command", "command-crash", "install"], json.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.False(Directory.Exists(_home.Home.Root));
    }

    [Fact]
    public async Task ResetId_GivesANewInstallId_WithoutShowingTheNoticeAgain()
    {
        // The official build, which records (a source build would show no notice whatever the ID).
        await OfficialAsync("list");
        var before = JsonDocument.Parse((await OfficialAsync("telemetry", "status", "--json")).Output).RootElement.GetProperty("install").GetString();

        var reset = JsonDocument.Parse((await OfficialAsync("telemetry", "reset-id", "--json")).Output).RootElement;
        var next = await OfficialAsync("list");

        Assert.Equal(before, reset.GetProperty("previous").GetString());
        Assert.NotEqual(before, reset.GetProperty("install").GetString());
        Assert.Equal("", next.Error);
    }

    [Fact]
    public async Task ResetId_WithoutAnId_SaysThereIsNothingToReset()
    {
        var run = await PackAsync("telemetry", "reset-id");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("pack has no install ID on this machine: there is nothing to reset.\n", run.Output);
        Assert.False(Directory.Exists(_home.Home.Root));
    }
}
