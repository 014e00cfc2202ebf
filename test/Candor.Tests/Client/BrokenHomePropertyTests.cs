using System.Diagnostics;
using Candor.Tests.Support;

namespace Candor.Tests.Client;

/// <summary>Whatever one file of the home holds, a tool's client is built, tracks and is disposed without throwing or hanging.</summary>
public sealed class BrokenHomePropertyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task CreateTrackDispose_AnyDamageToAnyFileOfTheHome_NeverThrows()
    {
        using var home = new TempFolder();
        var start = new ProcessStartInfo(Delivery.TrackerProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(BrokenHomeProcess).Assembly.Location);
        start.ArgumentList.Add("broken-home");
        start.ArgumentList.Add("1000");
        foreach (var inherited in new[] { "DO_NOT_TRACK", "CANDOR_TELEMETRY", "CANDOR_TELEMETRY_DEBUG", "SAMPLE_DISABLE_METRICS" })
        {
            start.Environment.Remove(inherited);
        }

        start.Environment["CANDOR_HOME"] = home.Combine("home");
        start.Environment["CI"] = "false";
        foreach (var ci in new[] { "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "JENKINS_URL", "BUILD_ID" })
        {
            start.Environment[ci] = "";
        }

        using var process = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(Deadline);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        _ = process.StandardOutput.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);

        Assert.True(process.ExitCode == 0, await error);
    }
}
