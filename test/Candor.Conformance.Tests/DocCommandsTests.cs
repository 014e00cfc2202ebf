using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Candor.Conformance.Tests;

/// <summary>
/// The commands of README.md and docs/ as a new user types them, run as printed, so that the docs cannot drift: the
/// collector started with README's first set-up command (the one docs/collector.md gives too), then every block
/// marked <c>```sh tested</c> of docs/collector.md and of docs/cli.md, in order, in one bash per page, from the
/// repository's root. Only what differs on every machine is put in place: the admin token the collector printed,
/// and its address, because the test listens on a free port rather than on 5080, which a developer's own collector
/// may hold. <c>HOME</c> is a fresh folder. README's and docs/cli.md's package commands run once for every test that
/// needs their packages (<see cref="DocumentedPackages"/>); here a tool author's project adds and uses them.
/// </summary>
[Collection(DocumentedPackages.Collection)]
public sealed partial class DocCommandsTests(DocumentedPackages packages) : IDisposable
{
    private const string ToolManifest = """
        {
          "product": "hello-tool",
          "revision": 1,
          "consent": "opt-out",
          "disclosure": { "version": 1, "text": "hello-tool records which command ran." },
          "events": [
            { "name": "command", "description": "A command ran.", "purpose": "Know which commands are used.", "level": "usage",
              "properties": [ { "name": "command", "kind": "enum", "values": ["/hello"], "description": "The command." } ],
              "measurements": [ { "name": "exitCode", "kind": "number", "unit": "code", "minimum": 0, "maximum": 255, "description": "Exit code." } ] }
          ]
        }
        """;

    private const string ToolProgram = """
        using System.CommandLine;
        using Candor;
        using Candor.CommandLine;

        var root = new RootCommand("hello-tool: greets.");
        var hello = new Command("hello", "Say hello.");
        root.Subcommands.Add(hello);
        var candor = root.UseCandor(new CandorOptions { Assembly = typeof(Program).Assembly });
        hello.SetAction(_ =>
        {
            Console.WriteLine("Hello.");
            return 0;
        });
        return await candor.InvokeAsync(args);
        """;

    private const string DocumentedAddress = "http://127.0.0.1:5080";
    private const string TokenPlaceholder = "candor_admin_…";

    private readonly string _root = Directory.CreateTempSubdirectory("candor-docs-").FullName;

    public void Dispose() => TempFolder.Delete(_root);

    [Fact]
    public async Task CollectorPage_StartsTheCollectorAndRegistersAProduct_AsPrinted()
    {
        var command = SetUpCollectorCommand();
        Assert.Contains(DocText.Blocks(DocText.Page("docs/collector.md"), "sh"), b => b == command);
        var script = string.Join("\n", DocText.Blocks(DocText.Page("docs/collector.md"), "sh tested"));
        Assert.Contains(TokenPlaceholder, script, StringComparison.Ordinal);
        Assert.Contains(DocumentedAddress, script, StringComparison.Ordinal);

        using var collector = await StartAsync(command);
        var run = await BashAsync(script.Replace(TokenPlaceholder, collector.Token, StringComparison.Ordinal).Replace(DocumentedAddress, collector.Address, StringComparison.Ordinal));

        Assert.True(run.ExitCode == 0, $"the page's commands failed ({run.ExitCode}):\n{run.Output}\n{run.Error}\ncollector:\n{collector.Output}");
        Assert.Contains("\"product\":\"pack\"", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"kThreshold\":1,", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"secret\":\"candor_ingest_", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"secret\":\"candor_read_", run.Output, StringComparison.Ordinal);
        Assert.Contains("\"kThreshold\":5,", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadmeToolAuthor_AddsThePackedPackagesFromTheLocalSource_AndTheToolRecordsItsEvents_AsPrinted()
    {
        packages.AssertReadmePacked();
        var section = DocText.Section(DocText.Page("README.md"), "## Quick start for a tool author");
        var adds = AddPackage().Matches(section).Select(m => m.Value).Distinct().ToList();
        Assert.Equal(["dotnet add package Candor", "dotnet add package Candor.CommandLine"], adds);
        var build = DocText.Blocks(section, "xml")[0];
        Assert.Contains("<CandorManifest>candor.json</CandorManifest>", build, StringComparison.Ordinal);
        var tool = ToolProject.Write(_root, "hello-tool", ToolManifest, ToolProgram, build);

        // The user's HOME with its package source; a package cache of the project's own, as a first user's is, so a
        // Candor 1.0.0 that another build left in the machine's cache cannot stand in for the one just packed.
        var environment = packages.Environment();
        environment["NUGET_PACKAGES"] = Path.Combine(_root, "packages");

        // The key from the CI secret the block names, as an official build has it (without one the build collects
        // nothing, and shows no notice).
        environment["CANDOR_KEY_FROM_CI_SECRET"] = "candor_ingest_readme-tool-author";
        var added = await SampleProcess.RunBuildStepAsync("bash", ["-euo", "pipefail", "-c", string.Join("\n", adds) + "\ndotnet build -nologo -v q"], environment, tool);
        Assert.True(added.ExitCode == 0, $"adding the packages and building failed ({added.ExitCode}):\n{added.Output}\n{added.Error}");

        // The first run shows the notice and records nothing; the second prints the event it records.
        var user = new Dictionary<string, string> { ["CANDOR_HOME"] = Path.Combine(_root, "candor-home") };
        var program = Path.Combine(tool, "bin", "Debug", "net10.0", "hello-tool.dll");
        var first = await SampleProcess.RunAsync("dotnet", [program, "hello"], user);
        var second = await SampleProcess.RunAsync("dotnet", [program, "hello", "--printmetrics"], user);

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("hello-tool records which command ran.", first.Error, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal("Hello.\n", second.Output);
        Assert.Contains("\"name\":\"command\"", second.Error, StringComparison.Ordinal);
        Assert.Contains("\"command\":\"/hello\"", second.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void CliPage_PacksAndInstallsTheCandorTool_AsPrinted()
    {
        packages.AssertToolInstalled();

        Assert.Contains("Tool 'candor.tool' (version '1.0.0') was successfully installed.", packages.CliRun.Output, StringComparison.Ordinal);
        Assert.Contains($"home          {Path.Combine(packages.Home, ".config", "candor")}", packages.CliRun.Output, StringComparison.Ordinal);
    }

    // README's set-up block holds exactly two commands; the first runs the collector.
    private static string SetUpCollectorCommand()
    {
        var setUp = DocText.Section(DocText.Page("README.md"), "## Set up");
        var lines = DocText.Blocks(setUp, "sh")[0].Split('\n').Select(l => l.Split('#')[0].Trim()).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Equal("dotnet test", lines[1]);
        return lines[0];
    }

    private Dictionary<string, string> Environment() =>
        DocumentedPackages.UserEnvironment(Directory.CreateDirectory(Path.Combine(_root, "home")).FullName);

    private Task<Run> BashAsync(string script) =>
        SampleProcess.RunAsync("bash", ["-euo", "pipefail", "-c", script], Environment(), TimeSpan.FromMinutes(2), SampleProcess.RepositoryRoot);

    // Runs the command with bash, from the repository's root, with the data in a fresh folder and a free port, and
    // reads its start-up lines: the address and the admin token.
    private async Task<DocumentedCollector> StartAsync(string command)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = SampleProcess.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec " + command);
        foreach (var (name, value) in Environment())
        {
            start.Environment[name] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Storage__DataPath"] = Path.Combine(_root, "data");

        // dotnet run builds first; builds of the repository's projects take turns.
        await SampleProcess.Builds.WaitAsync();
        var process = Process.Start(start)!;
        var output = new StringBuilder();
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            string? address = null;
            string? token = null;
            while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                output.AppendLine(line);
                address ??= Listening().Match(line) is { Success: true } l ? l.Groups[1].Value : null;
                token ??= Token().Match(line) is { Success: true } t ? t.Value : null;
                if (address is not null && line.StartsWith("=====", StringComparison.Ordinal))
                {
                    Assert.True(token is not null, "the first start printed no admin token:\n" + output);
                    _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    return new DocumentedCollector(process, address, token, output.ToString());
                }
            }

            throw new Xunit.Sdk.XunitException("the collector stopped before it listened:\n" + output);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
        finally
        {
            SampleProcess.Builds.Release();
        }
    }

    [GeneratedRegex(@"dotnet add package [A-Za-z.]+")]
    private static partial Regex AddPackage();

    [GeneratedRegex(@"^Candor collector listening on (http://127\.0\.0\.1:[0-9]+)")]
    private static partial Regex Listening();

    [GeneratedRegex("candor_admin_[A-Za-z0-9_-]+")]
    private static partial Regex Token();

    private sealed record DocumentedCollector(Process Process, string Address, string Token, string Output) : IDisposable
    {
        public void Dispose()
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
            Process.Dispose();
        }
    }
}
