using System.Diagnostics;
using System.Runtime.CompilerServices;
using Candor.Delivery;
using Candor.Manifest;

namespace Candor.Tests.Client;

/// <summary>
/// A real tool built the way an author builds one: <c>dotnet Candor.Tests.dll client [--disable-metrics]
/// [--printmetrics] [canary...]</c> creates a <see cref="CandorClient"/> from the process's own environment
/// (so <c>CANDOR_HOME</c>, <c>DO_NOT_TRACK</c> and the rest are real), tracks one install and one crash,
/// feeding every canary through every property that takes text, and disposes the client.
/// The collector address and key come from <c>CANDOR_TEST_ENDPOINT</c> and <c>CANDOR_TEST_KEY</c>.
/// </summary>
internal static class ClientProcess
{
    public const string EndpointVariable = "CANDOR_TEST_ENDPOINT";
    public const string KeyVariable = "CANDOR_TEST_KEY";

    public static int Run(string[] args)
    {
        var canaries = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var endpoint = Environment.GetEnvironmentVariable(EndpointVariable);
        using var client = CandorClient.Create(new CandorOptions
        {
            Manifest = TelemetryManifest.Parse(Some.ManifestJson),
            Assembly = typeof(ClientProcess).Assembly,
            ProductVersion = "1.4.2",
            IngestionKey = Environment.GetEnvironmentVariable(KeyVariable),
            Endpoint = endpoint is null ? null : new Uri(endpoint),
            CommandLineOptOut = args.FirstOrDefault(a => a is "--disable-metrics"),
            PrintEvents = args.Contains("--printmetrics"),
        });

        var install = client.Event("install")
            .With("packages", ["zlib", .. canaries])
            .With("size", 12_345L)
            .With("cached", true)
            .With("buildTime", TimeSpan.FromMilliseconds(1500));
        foreach (var canary in canaries)
        {
            install = install.With("triplet", canary).With("dataset", canary).With("toolVersion", canary);
        }

        install.Track();
        client.Event("crash").With("stack", Crash(canaries)).Track();
        Console.Out.WriteLine(client.Consent.Source);
        return 0;
    }

    // A real exception, thrown and caught, whose message carries every canary.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static InvalidOperationException Crash(string[] canaries)
    {
        try
        {
            throw new InvalidOperationException("could not read " + string.Join(", ", canaries));
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    /// <summary>Starts <c>client</c> as a child process with <paramref name="environment"/> added to a clean environment.</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args) => Start("client", environment, args);

    /// <summary>Starts this assembly's <paramref name="verb"/> (<c>client</c>, <c>startup-probe</c>) the same way.</summary>
    public static Process Start(string verb, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Delivery.TrackerProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ClientProcess).Assembly.Location);
        start.ArgumentList.Add(verb);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing of the test runner's telemetry settings may leak in.
        foreach (var inherited in new[] { "DO_NOT_TRACK", "CANDOR_TELEMETRY", "CANDOR_TELEMETRY_DEBUG", "SAMPLE_DISABLE_METRICS", "PROBE_OPTOUT", "CANDOR_HOME", EndpointVariable, KeyVariable })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }
}
