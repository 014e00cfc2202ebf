namespace Candor.Conformance.Tests;

/// <summary>
/// The packages as the docs tell a newcomer to make them, made once for every test that needs them: README.md's
/// block for a tool author (the SDK and Candor.CommandLine packed into <c>~/candor-packages</c>, made a package
/// source) and then docs/cli.md's <c>```sh tested</c> block (the <c>candor</c> tool packed into <c>~/nupkg</c> and
/// installed from there), each run as printed by bash from the repository's root, with <c>HOME</c> a fresh folder so
/// that the package folders and the user's NuGet configuration start empty. The SDK's pack compiles it for seven
/// runtime identifiers, the slowest build of the test run (docs/benchmarks.md, "Documented packages"), so it
/// happens once.
/// </summary>
public sealed class DocumentedPackages : IAsyncLifetime
{
    public const string Collection = "Documented packages";

    private readonly string _root = Directory.CreateTempSubdirectory("candor-documented-").FullName;

    /// <summary>The <c>HOME</c> the commands ran with.</summary>
    public string Home => Path.Combine(_root, "home");

    /// <summary>README's package folder, <c>~/candor-packages</c>.</summary>
    public string Sdk => Path.Combine(Home, "candor-packages");

    /// <summary>docs/cli.md's package folder, <c>~/nupkg</c>.</summary>
    public string Tool => Path.Combine(Home, "nupkg");

    /// <summary>What README's block printed.</summary>
    internal Run ReadmeRun { get; private set; } = new(-1, "", "");

    /// <summary>What docs/cli.md's block printed.</summary>
    internal Run CliRun { get; private set; } = new(-1, "", "");

    /// <summary>README's install block for a tool author, as printed.</summary>
    public static string ReadmeScript()
    {
        var section = DocText.Section(DocText.Page("README.md"), "## Quick start for a tool author");
        return DocText.Blocks(section, "sh")[0];
    }

    /// <summary>docs/cli.md's commands that install the <c>candor</c> tool, as printed.</summary>
    public static string CliScript() => string.Join("\n", DocText.Blocks(DocText.Page("docs/cli.md"), "sh tested"));

    /// <summary>The environment the commands ran with: the fresh <c>HOME</c>, and the machine's package cache.</summary>
    public Dictionary<string, string> Environment() => UserEnvironment(Home);

    /// <summary>A newcomer's environment: <paramref name="home"/> as <c>HOME</c>, and the machine's package cache.</summary>
    public static Dictionary<string, string> UserEnvironment(string home) => new()
    {
        ["HOME"] = home,

        // Packages the build restores come from the machine's cache, as they do for the user, not from a new one.
        ["NUGET_PACKAGES"] = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Home);
        ReadmeRun = await BashAsync(ReadmeScript());
        if (ReadmeRun.ExitCode == 0)
        {
            CliRun = await BashAsync(CliScript());
        }
    }

    public Task DisposeAsync()
    {
        TempFolder.Delete(_root);
        return Task.CompletedTask;
    }

    /// <summary>Fails, with what the commands printed, unless README's block succeeded.</summary>
    public void AssertReadmePacked() =>
        Assert.True(ReadmeRun.ExitCode == 0, $"README's install block failed ({ReadmeRun.ExitCode}):\n{ReadmeRun.Output}\n{ReadmeRun.Error}");

    /// <summary>Fails, with what the commands printed, unless docs/cli.md's block succeeded too.</summary>
    public void AssertToolInstalled()
    {
        AssertReadmePacked();
        Assert.True(CliRun.ExitCode == 0, $"docs/cli.md's commands failed ({CliRun.ExitCode}):\n{CliRun.Output}\n{CliRun.Error}");
    }

    private Task<Run> BashAsync(string script) =>
        SampleProcess.RunBuildStepAsync("bash", ["-euo", "pipefail", "-c", script], Environment(), SampleProcess.RepositoryRoot);
}

/// <summary>The test classes that read the documented packages, which are made once for all of them.</summary>
[CollectionDefinition(DocumentedPackages.Collection)]
public sealed class DocumentedPackagesUsers : ICollectionFixture<DocumentedPackages>;
