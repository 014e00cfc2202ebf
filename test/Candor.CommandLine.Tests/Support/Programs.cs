using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Candor.CommandLine.Tests.Support;

/// <summary>What a run printed and returned.</summary>
internal sealed record Run(int ExitCode, string Output, string Error)
{
    /// <summary>Output and error together, for "appears nowhere" checks.</summary>
    public string All => Output + Error;
}

/// <summary>
/// The programs the tests start as real processes, each with a clean environment: nothing of the runner's
/// telemetry settings leaks in, CI markers are off (CI runs never see the notice), and the home is the test's.
/// </summary>
internal static class Programs
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private static readonly string[] Cleared =
    [
        "DO_NOT_TRACK", "CANDOR_TELEMETRY", "CANDOR_TELEMETRY_DEBUG", "CANDOR_HOME", "CANDOR_SELFLOG", "PACK_DISABLE_METRICS", "NO_COLOR",
        OfficialPack.EndpointVariable, OfficialPack.KeyVariable, OfficialPack.DetachedVariable,
        "CI", "TF_BUILD", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL",
        "BUILD_ID", "BUILD_URL", "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER",
    ];

    /// <summary>The pack sample as its project builds it: a source build, with no collector and no key.</summary>
    public static string Pack => Path.Combine(AppContext.BaseDirectory, "pack.dll");

    /// <summary>The pack sample's code built as an official build: with a collector and key (see <see cref="OfficialPack"/>).</summary>
    public static string OfficialPackHost => typeof(Programs).Assembly.Location;

    /// <summary>The candor tool.</summary>
    public static string Candor => Path.Combine(AppContext.BaseDirectory, "Candor.Tool.dll");

    /// <summary>The collector, from its own output folder.</summary>
    public static string Collector => typeof(Programs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CollectorAssembly").Value!;

    public static Task<Run> PackAsync(TempHome home, params string[] args) => RunAsync(Pack, home, null, args);

    public static Task<Run> PackAsync(TempHome home, IReadOnlyDictionary<string, string>? environment, params string[] args) => RunAsync(Pack, home, environment, args);

    public static Task<Run> CandorAsync(TempHome home, params string[] args) => RunAsync(Candor, home, null, args);

    public static Task<Run> CandorAsync(TempHome home, IReadOnlyDictionary<string, string>? environment, params string[] args) => RunAsync(Candor, home, environment, args);

    public static Task<Run> OfficialPackAsync(TempHome home, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunAsync(OfficialPackHost, home, environment, [OfficialPack.Verb, .. args]);

    /// <summary>
    /// Waits until the detached uploader that an official run started has sent <paramref name="product"/>'s spool: no
    /// event file and no request left (the sent log is written before the files go).
    /// </summary>
    public static async Task WaitUntilSentAsync(TempHome home, string product)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var spool = home.Home.SpoolDirectory(product);
        while ((Directory.Exists(spool) && Directory.EnumerateFiles(spool, "*.json").Any()) || File.Exists(home.Home.UploadRequest(product)))
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    /// <summary>Starts <paramref name="assembly"/> with the home and variables given, and returns what it printed once it exited.</summary>
    public static async Task<Run> RunAsync(string assembly, TempHome home, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        using var process = Start(assembly, home.Home.Root, environment, args);
        using var deadline = new CancellationTokenSource(Deadline);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return new Run(process.ExitCode, Normalize(await output), Normalize(await error));
    }

    public static Process Start(string assembly, string? home, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in Cleared)
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        if (home is not null)
        {
            start.Environment["CANDOR_HOME"] = home;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        // The runtime lives in {dotnet root}/shared/Microsoft.NETCore.App/{version}/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
