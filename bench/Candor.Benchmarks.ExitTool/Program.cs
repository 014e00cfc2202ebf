using Candor;

// Tracks one event and exits: what a short command of a dotnet tool does, with nothing else around it.
// The collector comes from the environment (unset: no upload, as in a source build). CANDOR_EXIT_BENCH_EVENTS=N
// tracks N events instead of one (the delivery benchmark counts what arrives of each run).
// CANDOR_EXIT_BENCH_WITHOUT=1 skips Candor entirely, to show what the runtime alone costs. It opts out as a tool does:
// --disable-telemetry or --no-telemetry on its command line, or CANDOR_EXIT_BENCH_OPTOUT=1.
if (Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_WITHOUT") == "1")
{
    return;
}

var key = Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_KEY");
var endpoint = Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_ENDPOINT");

using var telemetry = CandorClient.Create(new CandorOptions
{
    Assembly = typeof(Program).Assembly,
    IngestionKey = string.IsNullOrEmpty(key) ? null : key,
    Endpoint = string.IsNullOrEmpty(endpoint) ? null : new Uri(endpoint),
    CommandLineOptOut = args.FirstOrDefault(a => a is "--disable-telemetry" or "--no-telemetry"),
});

var events = int.TryParse(Environment.GetEnvironmentVariable("CANDOR_EXIT_BENCH_EVENTS"), out var count) && count > 0 ? count : 1;
for (var i = 0; i < events; i++)
{
    telemetry.Event("run").With("mode", args.Contains("--verbose") ? "verbose" : "plain").Track();
}
