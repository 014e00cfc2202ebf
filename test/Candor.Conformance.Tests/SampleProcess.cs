using System.Diagnostics;

namespace Candor.Conformance.Tests;

/// <summary>Builds a sample the way its official build does (with the collector's address and key) and runs it as a real process.</summary>
internal static class SampleProcess
{
    // Sample builds share the SDK's project, so they run one at a time, in a configuration of their own that
    // never touches the Debug build the tests themselves run from.
    internal static readonly SemaphoreSlim Builds = new(1, 1);

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Builds <paramref name="project"/> (relative to the repository) into a fresh folder; a null key is a private build.</summary>
    public static async Task<string> BuildAsync(string project, string output, string? key, Uri? endpoint)
    {
        var arguments = new List<string> { "build", Path.Combine(RepositoryRoot, project), "-c", "Conformance", "-o", output, "-nologo", "-v", "q" };
        if (key is not null)
        {
            arguments.Add($"-p:CandorIngestionKey={key}");
            arguments.Add($"-p:CandorEndpoint={endpoint}");
        }

        await Builds.WaitAsync();
        try
        {
            var result = await RunAsync("dotnet", arguments, new Dictionary<string, string>(), TimeSpan.FromMinutes(10), RepositoryRoot);
            Assert.True(result.ExitCode == 0, $"building {project} failed:\n{result.Output}\n{result.Error}");
        }
        finally
        {
            Builds.Release();
        }

        return output;
    }

    /// <summary>Runs a sample's own build step (a bootstrap script that builds from source), one build at a time like <see cref="BuildAsync"/>.</summary>
    public static async Task<Run> RunBuildStepAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        await Builds.WaitAsync();
        try
        {
            return await RunAsync(program, arguments, environment, TimeSpan.FromMinutes(10), workingDirectory);
        }
        finally
        {
            Builds.Release();
        }
    }

    /// <summary>Runs a program with a clean telemetry environment plus <paramref name="environment"/>.</summary>
    public static async Task<Run> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(IsTelemetryVariable).ToArray())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(1));
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return new Run(process.ExitCode, await output, await error);
    }

    // The test runner's own telemetry settings and CI markers must not decide a sample's consent.
    private static bool IsTelemetryVariable(string name) =>
        name.StartsWith("CANDOR_", StringComparison.Ordinal)
        || name is "DO_NOT_TRACK" or "CI" or "GITHUB_ACTIONS" or "TF_BUILD" or "GITLAB_CI" or "JENKINS_URL" or "BUILD_ID" or "BUILD_URL"
        || name.EndsWith("_OPTOUT", StringComparison.Ordinal)
        || name.EndsWith("_DISABLE_METRICS", StringComparison.Ordinal);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Candor.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The tests run outside the repository: Candor.slnx not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>How a process ended and what it wrote.</summary>
internal sealed record Run(int ExitCode, string Output, string Error);
