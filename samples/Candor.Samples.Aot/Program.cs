using System.Diagnostics;
using Candor;

// The smallest Candor-enabled tool: it greets, tracks one event and exits. It publishes with Native AOT,
// which proves the SDK is trimming- and AOT-safe.
var started = Stopwatch.GetTimestamp();
var loud = args.Contains("--loud");
var name = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "world";

await using var telemetry = CandorClient.Create(new CandorOptions
{
    Assembly = typeof(Program).Assembly,
    CommandLineOptOut = args.FirstOrDefault(a => a is "--disable-telemetry"),
    PrintEvents = args.Contains("--printmetrics"),
});

var greeting = $"Hello, {name}!";
Console.WriteLine(loud ? greeting.ToUpperInvariant() : greeting);

telemetry.Event("greet")
    .With("style", loud ? "loud" : "plain")
    .With("name", name)
    .With("elapsed", Stopwatch.GetElapsedTime(started))
    .Track();
