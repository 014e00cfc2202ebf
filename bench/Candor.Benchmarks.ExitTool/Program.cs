using System.Diagnostics;
using Candor;

// Tracks one event, prints one line and exits: what a short command of a dotnet tool does, with nothing else around
// it. The collector comes from the environment (unset: no upload, as in a source build). CANDOR_EXIT_BENCH_EVENTS=N
// tracks N events instead of one (the delivery benchmark counts what arrives of each run). It opts out as a tool
// does: --disable-telemetry or --no-telemetry on its command line, or CANDOR_EXIT_BENCH_OPTOUT=1.
//
// CANDOR_EXIT_BENCH_WITHOUT=1 is the same tool without Candor: it does the tool's own work (reads its settings, parses
// its command line, prints its line) and skips only the Candor calls, so the difference is what Candor costs. The
// endpoint is parsed in both: a tool configured in code builds that Uri as part of its settings, and one configured by
// its build (CandorEndpoint) builds none, in either case.
//
// CANDOR_EXIT_BENCH_MAIN_TIME=1 prints, last, how long the tool's own code took, the client's disposal included, as
// "main-us <microseconds>" on stderr (bench/exit-time/measure.py reads it). Without the runtime's start and exit, whose
// time varies by milliseconds from run to run on a shared machine, the difference Candor makes shows at a tenth of
// a millisecond. An integer, as the tool's line: formatting a fraction would load the culture's data in every run.
var started = Stopwatch.GetTimestamp();
var key = Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_KEY");
var endpointText = Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_ENDPOINT");
var endpoint = string.IsNullOrEmpty(endpointText) ? null : new Uri(endpointText);
var optOut = args.FirstOrDefault(a => a is "--disable-telemetry" or "--no-telemetry");
var mode = args.Contains("--verbose") ? "verbose" : "plain";
var events = int.TryParse(Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_EVENTS"), out var count) && count > 0 ? count : 1;

if (Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_WITHOUT") == "1")
{
    Console.WriteLine($"done ({mode})");
}
else
{
    using var telemetry = CandorClient.Create(new CandorOptions
    {
        Assembly = typeof(Program).Assembly,
        IngestionKey = string.IsNullOrEmpty(key) ? null : key,
        Endpoint = endpoint,
        CommandLineOptOut = optOut,
    });

    for (var i = 0; i < events; i++)
    {
        telemetry.Event("run").With("mode", mode).Track();
    }

    Console.WriteLine($"done ({mode})");
}

if (Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_MAIN_TIME") == "1")
{
    Console.Error.WriteLine($"main-us {(Stopwatch.GetTimestamp() - started) * 1_000_000 / Stopwatch.Frequency}");
}
