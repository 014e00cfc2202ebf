using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Candor;
using Candor.Manifest;
using Candor.Tracking;
using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Channel;
using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Candor.Benchmarks;

/// <summary>
/// Tracking one event with three properties, through Candor and through the two peers a .NET tool would
/// otherwise use. Each is configured the way it runs in a tool, with its exporter replaced by one that drops
/// what it is given, so the numbers are the cost on the tool's thread plus the shared background work.
/// </summary>
[MemoryDiagnoser]
public partial class TrackEventBenchmarks : IDisposable
{
    private const string Manifest = """
    {
      "product": "bench",
      "revision": 1,
      "disclosure": { "version": 1, "text": "bench collects usage data." },
      "events": [
        {
          "name": "install",
          "description": "A package install finished.",
          "purpose": "Find failing packages.",
          "properties": [
            { "name": "triplet", "kind": "enum", "values": ["x64-linux", "x64-windows"], "description": "Target." },
            { "name": "cached", "kind": "bool", "description": "Binary cache hit." }
          ],
          "measurements": [
            { "name": "buildTime", "kind": "duration", "description": "Build time." }
          ]
        }
      ]
    }
    """;

    private CandorClient _candor = null!;
    private CandorClient _candorOff = null!;
    private ILoggerFactory _loggerFactory = null!;
    private ILogger _logger = null!;
    private TelemetryConfiguration _insightsConfiguration = null!;
    private TelemetryClient _insights = null!;

    [GlobalSetup]
    public void Setup()
    {
        var manifest = TelemetryManifest.Parse(Manifest);

        // Events are checked, transformed and serialised on the background writer, then handed to a sink that
        // discards them, as the peers' exporters below do; the spool's file writes are measured separately.
        _candor = CandorClient.CreateWithSink(manifest, new DiscardingSink());
        _candorOff = CandorClient.CreateWithSink(manifest, new DiscardingSink(), new Dictionary<string, string> { ["CANDOR_TELEMETRY"] = "off" });

        _loggerFactory = LoggerFactory.Create(builder => builder.AddOpenTelemetry(options =>
            options.AddProcessor(new BatchLogRecordExportProcessor(new DiscardingExporter()))));
        _logger = _loggerFactory.CreateLogger("bench");

        _insightsConfiguration = new TelemetryConfiguration { TelemetryChannel = new DiscardingChannel() };
        _insights = new TelemetryClient(_insightsConfiguration);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _candor.Dispose();
        _candorOff.Dispose();
        _loggerFactory.Dispose();
        _insightsConfiguration.Dispose();
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "Candor")]
    public void Candor() =>
        _candor.Event("install").With("triplet", "x64-linux").With("cached", true).With("buildTime", 1500.0).Track();

    [Benchmark(Description = "Candor, telemetry off")]
    public void CandorOff() =>
        _candorOff.Event("install").With("triplet", "x64-linux").With("cached", true).With("buildTime", 1500.0).Track();

    [Benchmark(Description = "OpenTelemetry ILogger (batch)")]
    public void OpenTelemetryLogger() => LogInstall(_logger, "x64-linux", true, 1500.0);

    [Benchmark(Description = "Application Insights TrackEvent")]
    public void ApplicationInsights() =>
        _insights.TrackEvent(
            "install",
            new Dictionary<string, string> { ["triplet"] = "x64-linux", ["cached"] = "true" },
            new Dictionary<string, double> { ["buildTime"] = 1500.0 });

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "install {Triplet} {Cached} {BuildTime}")]
    private static partial void LogInstall(ILogger logger, string triplet, bool cached, double buildTime);

    private sealed class DiscardingSink : IEventSink
    {
        public void Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
        {
        }
    }

    private sealed class DiscardingExporter : BaseExporter<LogRecord>
    {
        public override ExportResult Export(in Batch<LogRecord> batch) => ExportResult.Success;
    }

    private sealed class DiscardingChannel : ITelemetryChannel
    {
        public bool? DeveloperMode { get; set; }

        public string EndpointAddress { get; set; } = "";

        public void Send(ITelemetry item)
        {
        }

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
