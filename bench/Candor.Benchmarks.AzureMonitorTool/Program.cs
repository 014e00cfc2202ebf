using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry;
using OpenTelemetry.Trace;

// Sends one trace (one span named "run") to Azure Monitor and exits, as the exit-time tool tracks one event: what a
// short command of a dotnet tool would do with the exporter's defaults. The provider is disposed at exit, as the
// exporter's documentation shows, which flushes what is batched. AZURE_MONITOR_BENCH_CONNECTION_STRING names the
// ingestion endpoint (a local sink in the benchmark); AZURE_MONITOR_BENCH_RUN marks the span, so the sink can tell
// which run it came from. The install's random ID comes from OTEL_RESOURCE_ATTRIBUTES (service.instance.id),
// which the exporter sends as the ai.cloud.roleInstance tag (docs/interop.md). It prints one line, as the exit-time tool does.
var mode = args.Contains("--verbose") ? "verbose" : "plain";
var source = new ActivitySource("Candor.Benchmarks.AzureMonitorTool");

using (var tracing = Sdk.CreateTracerProviderBuilder()
    .AddSource(source.Name)
    .AddAzureMonitorTraceExporter(options =>
        options.ConnectionString = Environment.GetEnvironmentVariable("AZURE_MONITOR_BENCH_CONNECTION_STRING"))
    .Build())
{
    using (var run = source.StartActivity("run"))
    {
        run?.SetTag("mode", mode);
        run?.SetTag("bench.run", Environment.GetEnvironmentVariable("AZURE_MONITOR_BENCH_RUN") ?? "");
    }
}

Console.WriteLine($"done ({mode})");
