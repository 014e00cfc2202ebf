using System.CommandLine;
using Candor.CommandLine.Tests.Support;
using Candor.Manifest;

namespace Candor.CommandLine.Tests;

public sealed class CandorCommandLineTests
{
    [Fact]
    public async Task Command_TracksPathOptionNamesDeclaredValuesExitCodeAndDuration()
    {
        var tool = new TestTool();

        var exitCode = await tool.InvokeAsync("build", "--secret", "hunter2", "-c", "Release", "--dry-run", "--workers", "4", "--verbosity", "Detailed");

        Assert.Equal(0, exitCode);
        var events = tool.Sink.Events;
        Assert.Equal(["built", "command"], events.Select(e => e.Name));
        var command = events[1];
        Assert.Equal("/build", command.Property("command"));
        Assert.Equal("--configuration,--dry-run,--secret,--verbosity,--workers", command.Property("options"));
        Assert.Equal("Release", command.Property("option.configuration"));
        Assert.Equal("true", command.Property("option.dry-run"));
        Assert.Equal(4, command.Measurement("option.workers"));
        Assert.Equal(0, command.Measurement("exitCode"));
        Assert.Equal(1500, command.Measurement("duration"));
        Assert.DoesNotContain("hunter2", command.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("Detailed", command.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_EventTime_IsWhenTheCommandWasInvoked_NotWhenItReturned()
    {
        var tool = new TestTool();
        var invoked = tool.Clock.GetUtcNow();

        await tool.InvokeAsync("build");

        var events = tool.Sink.Events;
        Assert.Equal(invoked, events.Single(e => e.Name == "command").Event.Time);
        Assert.Equal(1500, events.Single(e => e.Name == "command").Measurement("duration"));
        Assert.Equal(invoked.AddMilliseconds(1500), events.Single(e => e.Name == "built").Event.Time);
    }

    [Fact]
    public async Task OptionValue_NotAmongTheDeclaredValues_IsDroppedAndTheEventStillSent()
    {
        var tool = new TestTool();

        await tool.InvokeAsync("build", "-c", "/home/someone/custom.props", "--workers", "99");

        var command = Assert.Single(tool.Sink.Events, e => e.Name == "command");
        Assert.Null(command.Property("option.configuration"));
        Assert.Null(command.Measurement("option.workers"));
        Assert.DoesNotContain("someone", command.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OptionValue_OfOptionsOfTheSameNameOnTwoCommands_IsSentForBoth()
    {
        var manifest = TestTool.ManifestJson.Replace("\"/fail\"]", "\"/fail\", \"/pack\"]", StringComparison.Ordinal);
        var tool = new TestTool(manifest, addMore: root =>
        {
            var pack = new Command("pack") { new Option<string>("--configuration", "-c") };
            pack.SetAction(_ => 0);
            root.Subcommands.Add(pack);
        });

        await tool.InvokeAsync("pack", "-c", "Release");
        await tool.InvokeAsync("build", "-c", "Debug");

        Assert.Equal(["Release", "Debug"], tool.Sink.Events.Where(e => e.Name == "command").Select(e => e.Property("option.configuration")));
    }

    [Fact]
    public async Task AsyncCommand_ReturnsItsExitCode_WhichIsTracked()
    {
        var tool = new TestTool { ExitCode = 7 };

        Assert.Equal(7, await tool.InvokeAsync("run"));

        Assert.Equal(7, Assert.Single(tool.Sink.Events).Measurement("exitCode"));
    }

    [Fact]
    public async Task Crash_TracksBothEvents_AndTheExceptionStillReachesTheHandler()
    {
        var tool = new TestTool();

        var exitCode = await tool.InvokeAsync("fail");

        Assert.Equal(1, exitCode);
        Assert.Contains("InvalidOperationException", tool.Error.ToString(), StringComparison.Ordinal);
        var events = tool.Sink.Events;
        Assert.Equal(["command", "command-crash"], events.Select(e => e.Name));
        Assert.Null(events[0].Measurement("exitCode"));
        Assert.StartsWith("System.InvalidOperationException", events[1].Property("exception"), StringComparison.Ordinal);
        Assert.Contains("TestTool.Throw", events[1].Property("exception"), StringComparison.Ordinal);
        Assert.DoesNotContain("secret.txt", events[1].Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelled_IsTrackedWithExitCode130_AndIsNoCrash()
    {
        var tool = new TestTool();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await tool.InvokeAsync(cancelled.Token, "run");

        // 130 is what shells report for Ctrl+C; whatever the invocation then returns, a cancellation is no crash.
        var command = Assert.Single(tool.Sink.Events);
        Assert.Equal(130, command.Measurement("exitCode"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("--help")]
    [InlineData("build -h")]
    [InlineData("--version")]
    [InlineData("bogus")]
    [InlineData("build --workers many")]
    [InlineData("telemetry show")]
    public async Task NotARealCommand_TracksNothing(string commandLine)
    {
        var tool = new TestTool();

        await tool.InvokeAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Empty(tool.Sink.Events);
    }

    [Theory]
    [InlineData("--disable-telemetry")]
    [InlineData("--no-telemetry")]
    public async Task OptOutFlag_TurnsTheClientOffBeforeAnythingIsTracked(string flag)
    {
        var tool = new TestTool();

        await tool.InvokeAsync("build", flag);

        Assert.Empty(tool.Sink.Events);
    }

    [Fact]
    public async Task OptOutFlag_GivenAsFalse_DoesNotOptOut()
    {
        var tool = new TestTool();

        await tool.InvokeAsync("build", "--disable-telemetry", "false");

        Assert.Equal(2, tool.Sink.Events.Count);
    }

    [Theory]
    [InlineData("TOOL_NO_TELEMETRY", "1")]
    [InlineData("DO_NOT_TRACK", "1")]
    [InlineData("CANDOR_TELEMETRY", "off")]
    public async Task OptOutVariable_TracksNothing(string variable, string value)
    {
        var tool = new TestTool(environment: new() { [variable] = value });

        await tool.InvokeAsync("build");

        Assert.Empty(tool.Sink.Events);
    }

    [Fact]
    public async Task PrintOption_PrintsEveryEventOnTheInvocationsErrorWriter()
    {
        var tool = new TestTool(commandLine: new CandorCommandLineOptions { PrintAlias = "--show-telemetry" });

        await tool.InvokeAsync("build", "--show-telemetry");

        var printed = tool.Error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(tool.Sink.Events.Select(e => e.Json), printed);
    }

    [Fact]
    public async Task Client_ExistsOnlyWhileACommandRuns()
    {
        var tool = new TestTool();
        CandorClient? seen = null;
        tool.Root.Subcommands.Single(c => c.Name == "run").SetAction(_ =>
        {
            seen = tool.Candor!.Client;
            return 0;
        });

        await tool.InvokeAsync("run");

        Assert.NotNull(seen);
        Assert.Throws<InvalidOperationException>(() => tool.Candor!.Client);
    }

    [Fact]
    public async Task ActionSetAfterUseCandor_IsTrackedThroughInvokeAsync()
    {
        var tool = new TestTool();
        tool.Root.Subcommands.Single(c => c.Name == "run").SetAction(_ => 5);

        Assert.Equal(5, await tool.InvokeAsync("run"));

        Assert.Equal(5, Assert.Single(tool.Sink.Events).Measurement("exitCode"));
    }

    [Fact]
    public void UseCandor_CommandMissingFromTheManifest_ThrowsWithTheEntryToPaste()
    {
        var error = Assert.Throws<ManifestException>(() => new TestTool(addMore: root => root.Subcommands.Add(new Command("later"))));

        Assert.Contains("event 'command', 'command': the command name '/later' is not among its values", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"/later\"", error.Errors[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Invoke_Synchronously_TracksTheSame()
    {
        var tool = new TestTool { ExitCode = 4 };

        Assert.Equal(4, tool.Candor!.Invoke(["run"], new InvocationConfiguration { Output = tool.Output, Error = tool.Error }));

        Assert.Equal(4, Assert.Single(tool.Sink.Events).Measurement("exitCode"));
    }

    [Fact]
    public async Task RootParse_WhenEveryActionWasSetBeforeUseCandor_IsTrackedToo()
    {
        var tool = new TestTool();

        await tool.Root.Parse(["build"]).InvokeAsync(new InvocationConfiguration { Output = tool.Output, Error = tool.Error });

        Assert.Equal(["built", "command"], tool.Sink.Events.Select(e => e.Name));
    }

    [Fact]
    public async Task TrackInvocationsOff_TracksOnlyTheToolsOwnEvents()
    {
        var tool = new TestTool(commandLine: new CandorCommandLineOptions { TrackInvocations = false });

        await tool.InvokeAsync("build");

        Assert.Equal("built", Assert.Single(tool.Sink.Events).Name);
    }

    [Fact]
    public async Task BareRootWithAnAction_RunsUntracked()
    {
        var tool = new TestTool();

        Assert.Equal(0, await tool.InvokeAsync());

        Assert.Empty(tool.Sink.Events);
    }

    [Fact]
    public void UseCandor_ManifestWithoutTheInvocationEvent_ThrowsWithTheEntriesToPaste()
    {
        const string Manifest = """{ "product": "tool", "disclosure": { "text": "t" }, "events": [ { "name": "built", "description": "d", "purpose": "p" } ] }""";

        var error = Assert.Throws<ManifestException>(() => new TestTool(Manifest));

        Assert.Contains("event 'command' is not declared", error.Message, StringComparison.Ordinal);
        Assert.Contains("also needs the manifest's top-level \"namespaces\"", error.Errors[^2], StringComparison.Ordinal);
        var entries = error.Errors[^1][(error.Errors[^1].IndexOf('\n', StringComparison.Ordinal) + 1)..];
        var fixedManifest = Manifest.Replace("\"events\": [ ", "\"events\": [ " + entries + ", ", StringComparison.Ordinal)
            .Replace("\"disclosure\": { \"text\": \"t\" },", "\"disclosure\": { \"text\": \"t\" }, \"namespaces\": [\"Candor.CommandLine.Tests\"],", StringComparison.Ordinal);
        var tool = new TestTool(fixedManifest);
        Assert.NotNull(tool.Candor);
    }

    [Theory]
    [InlineData("""{ "name": "option.secret", "kind": "hash", "description": "d" }""", "an option's value may be sent only as kind enum, bool, number, bucket or duration")]
    [InlineData("""{ "name": "option.nope", "kind": "bool", "description": "d" }""", "'option.nope' is neither a field the automatic event fills")]
    [InlineData("""{ "name": "user", "kind": "hash", "description": "d" }""", "'user' is neither a field the automatic event fills")]
    public void UseCandor_InvocationEventWithAFieldItCannotFill_Throws(string field, string problem)
    {
        var manifest = TestTool.ManifestJson.Replace("""{ "name": "option.dry-run",""", field + """, { "name": "option.dry-run",""", StringComparison.Ordinal);

        var error = Assert.Throws<ManifestException>(() => new TestTool(manifest));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCandor_CrashEventAtUsageLevel_Throws()
    {
        var manifest = TestTool.ManifestJson.Replace("\"level\": \"error\"", "\"level\": \"usage\"", StringComparison.Ordinal);

        var error = Assert.Throws<ManifestException>(() => new TestTool(manifest));

        Assert.Contains("event 'command-crash': 'level' must be 'error'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCandor_OptionMissingFromTheManifest_Throws()
    {
        var error = Assert.Throws<ManifestException>(() => new TestTool(addMore: root => root.Options.Add(new Option<bool>("--quiet") { Recursive = true })));

        Assert.Contains("the option name '--quiet' is not among its values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestEvents_ListsEveryCommandAndOption_AndTheValuesOfEnumOptions()
    {
        var tool = new TestTool();

        var entries = CandorCommandLine.ManifestEvents(tool.Root);

        var manifest = TelemetryManifest.Parse($$"""{ "product": "x", "disclosure": { "text": "t" }, "namespaces": ["Tool"], "events": [ {{entries}} ] }""");
        var command = manifest.Find("command")!;
        Assert.Equal(["/", "/build", "/run", "/fail"], command.Find("command")!.Values);
        Assert.Equal(["--configuration", "--dry-run", "--secret", "--verbosity", "--workers"], command.Find("options")!.Item!.Values);
        Assert.Equal(["Quiet", "Normal", "Detailed"], command.Find("option.verbosity")!.Values);
        Assert.Equal(EventLevel.Error, manifest.Find("command-crash")!.Level);
        Assert.Equal(FieldKind.Stack, manifest.Find("command-crash")!.Find("exception")!.Kind);
    }
}
