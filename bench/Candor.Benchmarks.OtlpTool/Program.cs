using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;

// Records one event named "run" with its "mode" and exits, as the exit-time tool tracks one: an ILogger log record
// (its event name "run", the EventName attribute a Candor manifest's OTLP mapping matches), exported with the OTLP
// exporter as OpenTelemetry .NET's documentation shows for a console application. Where it goes comes from the
// exporter's standard variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf,
// OTEL_EXPORTER_OTLP_HEADERS for the key) and the install's random ID from OTEL_RESOURCE_ATTRIBUTES
// (service.instance.id). The logger factory is disposed at exit, which flushes the batch the exporter holds.
var mode = args.Contains("--verbose") ? "verbose" : "plain";
using (var logging = LoggerFactory.Create(builder => builder.AddOpenTelemetry(options => options.AddOtlpExporter())))
{
    var logger = logging.CreateLogger("otlp-bench");
    Usage.Run(logger, mode);
}

Console.WriteLine($"done ({mode})");

static partial class Usage
{
    [LoggerMessage(EventId = 1, EventName = "run", Level = LogLevel.Information, Message = "Ran as {mode}")]
    public static partial void Run(ILogger logger, string mode);
}
