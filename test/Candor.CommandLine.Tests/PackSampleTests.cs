using System.Text.Json;
using Candor.CommandLine.Tests.Support;

namespace Candor.CommandLine.Tests;

/// <summary>
/// The pack sample as real processes: its source build (no collector) and its official build (a collector that is
/// never reached, so events stay spooled where the test reads them).
/// </summary>
public sealed class PackSampleTests : IDisposable
{
    private readonly TempHome _home = new();
    private readonly ClosedPort _collector = new();

    public void Dispose()
    {
        _collector.Dispose();
        _home.Dispose();
    }

    private Dictionary<string, string> Official(params (string Name, string Value)[] more)
    {
        var environment = _collector.Environment();
        foreach (var (name, value) in more)
        {
            environment[name] = value;
        }

        return environment;
    }

    // The first real command shows the notice and sends nothing; from the second on, events are spooled.
    private async Task WarmUpAsync()
    {
        var first = await Programs.OfficialPackAsync(_home, Official(), "list");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("pack collects anonymous usage data", first.Error, StringComparison.Ordinal);
        Assert.Empty(_home.Spooled());
    }

    [Fact]
    public async Task SecondRun_SpoolsTheCommandEvent_WithPathOptionNamesExitCodeAndDuration()
    {
        await WarmUpAsync();

        var run = await Programs.OfficialPackAsync(_home, Official(), "cache", "clean", "--verbose");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("The download cache is empty.\n", run.Output);
        Assert.Equal("", run.Error);
        var command = Assert.Single(_home.Spooled().Select(Parse));
        Assert.Equal("command", command.GetProperty("name").GetString());
        Assert.Equal("/cache/clean", command.GetProperty("properties").GetProperty("command").GetString());
        Assert.Equal(["--verbose"], command.GetProperty("properties").GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal(0, command.GetProperty("measurements").GetProperty("exitCode").GetDouble());
        Assert.True(command.GetProperty("measurements").GetProperty("duration").GetDouble() >= 0);
    }

    [Theory]
    [InlineData("--disable-telemetry", null, null)]
    [InlineData("--disable-metrics", null, null)]
    [InlineData(null, "PACK_DISABLE_METRICS", "1")]
    [InlineData(null, "DO_NOT_TRACK", "1")]
    [InlineData(null, "CANDOR_TELEMETRY", "off")]
    public async Task OptedOut_AfterTheNotice_SpoolsAndPrintsNothingAndTouchesNoFile(string? flag, string? variable, string? value)
    {
        await WarmUpAsync();
        var before = _home.Snapshot();
        var environment = Official(("CANDOR_TELEMETRY_DEBUG", "1"));
        if (variable is not null)
        {
            environment[variable] = value!;
        }

        string[] args = flag is null ? ["install", "zlib", "--printmetrics"] : ["install", "zlib", "--printmetrics", flag];
        var run = await Programs.OfficialPackAsync(_home, environment, args);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Installed zlib for x64-linux from the binary cache.\n", run.Output);
        Assert.Equal("", run.Error);
        Assert.Empty(_home.Spooled());
        Assert.Equal(before, _home.Snapshot());
    }

    [Theory]
    [InlineData("--disable-metrics", null, null)]
    [InlineData(null, "DO_NOT_TRACK", "1")]
    [InlineData(null, "PACK_DISABLE_METRICS", "yes")]
    public async Task OptedOut_FirstRun_ShowsNoNoticeAndCreatesNoFileAtAll(string? flag, string? variable, string? value)
    {
        var environment = Official();
        if (variable is not null)
        {
            environment[variable] = value!;
        }

        var run = await Programs.OfficialPackAsync(_home, environment, flag is null ? ["list"] : ["list", flag]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.False(Directory.Exists(_home.Home.Root));
    }

    [Fact]
    public async Task HelpVersionBareCommandAndParseErrors_TrackNothing()
    {
        await WarmUpAsync();

        string[][] invocations = [["--help"], ["install", "--help"], ["--version"], [], ["install"], ["bogus"], ["install", "zlib", "--jobs", "many"]];
        foreach (var args in invocations)
        {
            var run = await Programs.OfficialPackAsync(_home, Official(("CANDOR_TELEMETRY_DEBUG", "1")), args);
            Assert.DoesNotContain("\"name\":\"command\"", run.Error, StringComparison.Ordinal);
        }

        Assert.Empty(_home.Spooled());

        // The same home does spool a real command: the check above could have failed.
        await Programs.OfficialPackAsync(_home, Official(), "list");
        Assert.Single(_home.Spooled());
    }

    [Fact]
    public async Task FreshHome_Help_ShowsNoNoticeAndCreatesNothing()
    {
        var run = await Programs.OfficialPackAsync(_home, Official(), "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--disable-metrics, --disable-telemetry", run.Output, StringComparison.Ordinal);
        Assert.Contains("--print-telemetry, --printmetrics", run.Output, StringComparison.Ordinal);
        Assert.Contains("telemetry", run.Output, StringComparison.Ordinal);
        Assert.Equal("", run.Error);
        Assert.False(Directory.Exists(_home.Home.Root));
    }

    [Fact]
    public async Task OptionValues_AreNeverSentUnlessTheManifestDeclaresThem()
    {
        const string Token = "canary-token-5d1c9e";
        const string Package = "canary-package-77af";
        await WarmUpAsync();

        var installed = await Programs.OfficialPackAsync(_home, Official(), "install", "openssl", "--token", Token, "-t", "arm64-osx", "-j", "8", "--no-cache", "--print-telemetry");
        var missing = await Programs.OfficialPackAsync(_home, Official(), "install", Package, "--token", Token);

        Assert.Equal(0, installed.ExitCode);
        Assert.Equal(3, missing.ExitCode);
        var spooled = _home.Spooled();
        var everything = string.Join('\n', spooled) + installed.All + string.Join('\n', Directory.EnumerateFiles(_home.Home.Root, "*", SearchOption.AllDirectories).Select(File.ReadAllText));
        Assert.DoesNotContain(Token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Package, everything, StringComparison.Ordinal);

        var commands = spooled.Select(Parse).Where(e => e.GetProperty("name").GetString() == "command").ToList();
        Assert.Equal(2, commands.Count);
        var full = commands.Single(c => c.GetProperty("measurements").GetProperty("exitCode").GetDouble() == 0);
        Assert.Equal(["--jobs", "--no-cache", "--token", "--triplet"], full.GetProperty("properties").GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal("arm64-osx", full.GetProperty("properties").GetProperty("option.triplet").GetString());
        Assert.Equal(8, full.GetProperty("measurements").GetProperty("option.jobs").GetDouble());
        Assert.Contains(commands, c => c.GetProperty("measurements").GetProperty("exitCode").GetDouble() == 3);

        // --print-telemetry printed exactly what was spooled.
        var printed = installed.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, printed.Length);
        Assert.All(printed, line => Assert.Contains(line, spooled));
    }

    [Fact]
    public async Task Crash_TracksTheCommandAndAScrubbedCrashEvent_AndTheToolStillFails()
    {
        await WarmUpAsync();

        var run = await Programs.OfficialPackAsync(_home, Official(), "install", "broken");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("InvalidDataException", run.Error, StringComparison.Ordinal);
        var events = _home.Spooled().Select(Parse).ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.False(events["command"].GetProperty("measurements").TryGetProperty("exitCode", out _));
        var crash = events["command-crash"];
        Assert.Equal("/install", crash.GetProperty("properties").GetProperty("command").GetString());
        var signature = crash.GetProperty("properties").GetProperty("exception").GetString()!;
        Assert.Contains("System.IO.InvalidDataException", signature, StringComparison.Ordinal);
        Assert.Contains("PackTool.Unpack", signature, StringComparison.Ordinal);
        Assert.DoesNotContain("tar.gz", string.Join('\n', _home.Spooled()), StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), string.Join('\n', _home.Spooled()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TelemetryCommands_AreNeverTrackedAndShowNoNotice()
    {
        var status = await Programs.OfficialPackAsync(_home, Official(("CANDOR_TELEMETRY_DEBUG", "1")), "telemetry", "status");
        await WarmUpAsync();
        var again = await Programs.OfficialPackAsync(_home, Official(("CANDOR_TELEMETRY_DEBUG", "1")), "telemetry", "show");

        Assert.Equal(0, status.ExitCode);
        Assert.Equal("", status.Error);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal("", again.Error);
        Assert.Empty(_home.Spooled());
    }

    [Fact]
    public async Task SourceBuild_CollectsNothing_ShowsNoNotice_ButPrintsEventsWhenAsked()
    {
        // A build without a collector sends nothing, so it collects nothing: no notice, nothing in the home.
        var plain = await Programs.PackAsync(_home, "list");
        Assert.Equal(0, plain.ExitCode);
        Assert.DoesNotContain("pack collects anonymous usage data", plain.Error, StringComparison.Ordinal);
        Assert.Null(new Catalog.ProductRecordStore(_home.Home, Storage.PhysicalFileSystem.Instance).TryRead("pack"));

        // Asked to print what it would send, it prints it at once: it collects nothing, so no notice is due.
        var printing = await Programs.PackAsync(_home, "install", "zlib", "--printmetrics");

        Assert.Equal(0, printing.ExitCode);
        Assert.DoesNotContain("pack collects anonymous usage data", printing.Error, StringComparison.Ordinal);
        var printed = printing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
        Assert.Equal(["install", "command"], printed.Select(e => e.GetProperty("name").GetString()));
        Assert.Empty(_home.Spooled());

        // The catalogue says what pack is, and that a source build has no collector.
        var record = new Catalog.ProductRecordStore(_home.Home, Storage.PhysicalFileSystem.Instance).TryRead("pack");
        Assert.Equal("1.2.0", record?.ProductVersion);
        Assert.Null(record?.Endpoint);
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
