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
/// may hold. <c>HOME</c> is a fresh folder, so <c>~/nupkg</c> and <c>~/tools</c> start empty.
/// </summary>
public sealed partial class DocCommandsTests : IDisposable
{
    private const string DocumentedAddress = "http://127.0.0.1:5080";
    private const string TokenPlaceholder = "candor_admin_…";

    private readonly string _root = Directory.CreateTempSubdirectory("candor-docs-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    [Fact]
    public async Task CollectorPage_StartsTheCollectorAndRegistersAProduct_AsPrinted()
    {
        var command = SetUpCollectorCommand();
        Assert.Contains(Blocks("docs/collector.md", "sh"), b => b == command);
        var script = string.Join("\n", Blocks("docs/collector.md", "sh tested"));
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
    public async Task CliPage_PacksAndInstallsTheCandorTool_AsPrinted()
    {
        var script = string.Join("\n", Blocks("docs/cli.md", "sh tested"));

        var run = await SampleProcess.RunBuildStepAsync("bash", ["-euo", "pipefail", "-c", script], Environment(), SampleProcess.RepositoryRoot);

        Assert.True(run.ExitCode == 0, $"the page's commands failed ({run.ExitCode}):\n{run.Output}\n{run.Error}");
        Assert.Contains("Tool 'candor.tool' (version '1.0.0') was successfully installed.", run.Output, StringComparison.Ordinal);
        Assert.Contains($"home          {Path.Combine(_root, "home", ".config", "candor")}", run.Output, StringComparison.Ordinal);
    }

    // README's set-up block holds exactly two commands; the first runs the collector.
    private static string SetUpCollectorCommand()
    {
        var readme = File.ReadAllText(Path.Combine(SampleProcess.RepositoryRoot, "README.md"));
        var setUp = readme[readme.IndexOf("## Set up", StringComparison.Ordinal)..];
        var lines = Blocks(setUp, "sh", isText: true)[0].Split('\n').Select(l => l.Split('#')[0].Trim()).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Equal("dotnet test", lines[1]);
        return lines[0];
    }

    /// <summary>The fenced blocks of a page whose info string is exactly <paramref name="info"/>, in order.</summary>
    private static List<string> Blocks(string pageOrText, string info, bool isText = false)
    {
        var text = isText ? pageOrText : File.ReadAllText(Path.Combine(SampleProcess.RepositoryRoot, pageOrText));
        var blocks = Fence().Matches(text.ReplaceLineEndings("\n"))
            .Where(m => m.Groups["info"].Value.Trim() == info)
            .Select(m => m.Groups["body"].Value.TrimEnd('\n'))
            .ToList();
        Assert.True(blocks.Count > 0, $"no ```{info} block in {(isText ? "the text" : pageOrText)}");
        return blocks;
    }

    private Dictionary<string, string> Environment()
    {
        var home = Directory.CreateDirectory(Path.Combine(_root, "home")).FullName;
        return new Dictionary<string, string>
        {
            ["HOME"] = home,

            // Packages the build restores come from the machine's cache, as they do for the user, not from a new one.
            ["NUGET_PACKAGES"] = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
                ? packages
                : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
    }

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

    [GeneratedRegex(@"^```(?<info>[^\n`]*)\n(?<body>.*?)^```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

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
