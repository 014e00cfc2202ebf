using System.Diagnostics;
using System.Runtime.InteropServices;
using Candor.Delivery;
using Candor.Storage;

namespace Candor.Tests.Delivery;

/// <summary>
/// The test assembly's entry point, so cross-process tests can run real short-lived tools without another
/// project: <c>dotnet Candor.Tests.dll track {home} {product} {endpoint} {count}</c> tracks events the way a
/// tool's short run does (spool each, hand them to the detached uploader at exit) and prints each event ID, or with
/// <c>in-process</c> after the count as a host's run does (upload in process, exit while it is in flight);
/// <c>dotnet Candor.Tests.dll client ...</c> runs <see cref="Client.ClientProcess"/>, and
/// <c>dotnet Candor.Tests.dll broken-home ...</c> <see cref="Client.BrokenHomeProcess"/>.
/// </summary>
internal static class TrackerProcess
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["client", .. var clientArgs])
        {
            return Client.ClientProcess.Run(clientArgs);
        }

        if (args is ["startup-probe", .. var probeArgs])
        {
            return Client.StartupProbe.Run(probeArgs);
        }

        if (args is ["broken-home", .. var brokenArgs])
        {
            return Client.BrokenHomeProcess.Run(brokenArgs);
        }

        if (args is not ["track", var home, var product, var endpoint, var countText, .. var mode])
        {
            await Console.Error.WriteLineAsync("usage: track {home} {product} {endpoint} {count}");
            return 2;
        }

        // What a tool's run does: the product's record (where its events go), each event spooled, and at exit the
        // events handed to the detached uploader, which sends them after this process is gone.
        var candorHome = new CandorHome(home);
        DeliveryRig.RecordProduct(candorHome, product, endpoint);
        using var delivery = new EventDelivery(candorHome, product, endpoint, TestCollector.Key);
        var count = int.Parse(countText, System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            if (!delivery.Spool.TryWrite(id, DeliveryRig.WireJson(id, product, DateTimeOffset.UtcNow)))
            {
                return 3;
            }

            delivery.NoteWritten();
            await Console.Out.WriteLineAsync(id.ToString());
        }

        if (mode is ["in-process"])
        {
            // A host's run: it uploads in process and exits while the collector has not answered yet.
            delivery.StartUpload();
            var finished = await delivery.DrainAsync(TimeSpan.FromMilliseconds(200));
            return delivery.HandOff(uploadInFlight: !finished) ? 0 : 4;
        }

        return delivery.HandOff(uploadInFlight: false) ? 0 : 4;
    }

    /// <summary>Starts one tracking run as a child process.</summary>
    public static Process Start(string home, string product, Uri endpoint, int count, string? mode = null)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { typeof(TrackerProcess).Assembly.Location, "track", home, product, endpoint.ToString(), count.ToString(System.Globalization.CultureInfo.InvariantCulture), mode })
        {
            if (argument is not null)
            {
                start.ArgumentList.Add(argument);
            }
        }

        // The child must not inherit a test's telemetry settings or write to the runner's home.
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(start)!;
    }

    public static string DotnetHost()
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
