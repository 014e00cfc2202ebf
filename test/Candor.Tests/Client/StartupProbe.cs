using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;

namespace Candor.Tests.Client;

/// <summary>
/// A tool's start, seen from inside: <c>dotnet Candor.Tests.dll startup-probe [--no-probe-telemetry] [--track] [--upload [--detached]]</c>
/// builds a client from the manifest the build embedded in this assembly (Client/startup-probe.json, compiled by the
/// package's build targets), tracks one event with <c>--track</c>, and prints, one per line: the threads the process
/// has while the client lives (<c>thread NAME</c>, Linux only), the assemblies loaded once it is disposed
/// (<c>assembly NAME</c>), whether the <c>Candor</c> event source exists (<c>event-source yes|no</c>) and the level.
/// </summary>
internal static class StartupProbe
{
    public static int Run(string[] args)
    {
        string[] threads;
        string level;
        // --upload: a build with a key and a collector (one that refuses), which uploads at exit, in this process.
        var uploads = args.Contains("--upload");
        var options = new CandorOptions
        {
            Assembly = typeof(StartupProbe).Assembly,
            CommandLineOptOut = args.FirstOrDefault(a => a is "--no-probe-telemetry"),
            IngestionKey = uploads ? "probe-key" : null,
            Endpoint = uploads ? new Uri("http://127.0.0.1:9/") : null,
        };
        // --detached: the run hands its events to the detached uploader at exit, as a tool's runs do, instead of
        // uploading in this process; the uploader gives up within a second.
        options.Delivery.DetachedUpload = args.Contains("--detached");
        options.Delivery.UploaderLifetime = TimeSpan.FromSeconds(1);
        using (var client = CandorClient.Create(options))
        {
            if (args.Contains("--track"))
            {
                client.Event("run").With("mode", "plain").Track();
            }

            threads = ThreadNames();
            level = client.Level.ToString();
        }

        // Listed before anything below loads more.
        var assemblies = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).ToArray();
        foreach (var library in NativeLibraries())
        {
            Console.Out.WriteLine("native " + library);
        }

        foreach (var thread in threads)
        {
            Console.Out.WriteLine("thread " + thread);
        }

        foreach (var assembly in assemblies)
        {
            Console.Out.WriteLine("assembly " + assembly);
        }

        Console.Out.WriteLine("event-source " + (CandorSourceExists() ? "yes" : "no"));
        Console.Out.WriteLine("level " + level);
        return 0;
    }

    // Apart from Run: compiling a method that names EventSource loads System.Diagnostics.Tracing, which the probe
    // reports on.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool CandorSourceExists() => EventSource.GetSources().Any(s => s.Name == "Candor");

    // The shared libraries mapped into the process (Linux only): the platform's cryptography shows as libcrypto.
    private static string[] NativeLibraries() =>
        OperatingSystem.IsLinux()
            ? File.ReadAllLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(parts => parts.Length >= 6 && parts[5].Contains(".so", StringComparison.Ordinal))
                .Select(parts => Path.GetFileName(parts[5]))
                .Distinct()
                .ToArray()
            : [];

    // The kernel keeps each thread's name (the runtime sets it from Thread.Name); other systems do not show them here.
    private static string[] ThreadNames() =>
        OperatingSystem.IsLinux()
            ? Directory.GetDirectories("/proc/self/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim()).ToArray()
            : [];

    /// <summary>Runs the probe in a child process with <paramref name="environment"/> added to a clean one, and returns what it printed.</summary>
    public static async Task<ProbeReport> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = ClientProcess.Start("startup-probe", environment, args);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"the probe exited with {process.ExitCode}: {await error}");
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] Values(string prefix) => lines.Where(l => l.StartsWith(prefix + " ", StringComparison.Ordinal)).Select(l => l[(prefix.Length + 1)..]).ToArray();
        return new ProbeReport(Values("thread"), Values("assembly"), Values("native"), Values("event-source").Single() == "yes", Values("level").Single());
    }
}

/// <summary>What <see cref="StartupProbe"/> saw.</summary>
internal sealed record ProbeReport(string[] Threads, string[] Assemblies, string[] NativeLibraries, bool EventSourceBuilt, string Level);
