using BenchmarkDotNet.Attributes;
using Candor;
using Candor.Manifest;
using Candor.Sinks;
using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Channel;
using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Candor.Benchmarks;

/// <summary>
/// Tracking one event with three properties through Candor and through the two peers a .NET tool would otherwise
/// use, each configured the way it runs in a tool with its exporter replaced by one that counts and discards what it
/// is given. One operation is one event processed end to end: each invocation tracks a burst of
/// <see cref="Burst"/> events and then flushes, so it ends only when the background thread has checked, transformed
/// and serialised every one of them (Candor) or exported them (OpenTelemetry's batch processor). The mean is the
/// caller's wall time per processed event; "CPU, all threads" adds what the background threads did meanwhile on the
/// other core; "Dropped" must be 0, or the figure would time the drop path.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TrackingConfig))]
public partial class TrackEventBenchmarks : IDisposable
{
    /// <summary>
    /// Events per invocation: as many as Candor's default queue holds (1,024) and half OpenTelemetry's (2,048), so
    /// neither drops even if its background thread did nothing meanwhile; twice OpenTelemetry's export batch (512), so
    /// its exporter takes them without waiting for its schedule.
    /// </summary>
    public const int Burst = 1024;

    internal const string Manifest = """
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

    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);

    private readonly CountingSink _candorSink = new();
    private readonly CountingExporter _exporter = new();
    private readonly CountingChannel _channel = new();
    private CandorClient _candor = null!;
    private CandorClient _candorOff = null!;
    private ILoggerFactory _loggerFactory = null!;
    private ILogger _logger = null!;
    private BatchLogRecordExportProcessor _batch = null!;
    private TelemetryConfiguration _insightsConfiguration = null!;
    private TelemetryClient _insights = null!;
    private long _tracked;

    [GlobalSetup]
    public void Setup()
    {
        var manifest = TelemetryManifest.Parse(Manifest);

        // The spool's file write is left out, as the peers' exporters send nothing; see SustainedRate for it.
        _candor = ClientWith(manifest, _candorSink);
        _candorOff = ClientWith(manifest, _candorSink, new Dictionary<string, string> { ["CANDOR_TELEMETRY"] = "off" });

        _batch = new BatchLogRecordExportProcessor(_exporter);
        _loggerFactory = LoggerFactory.Create(builder => builder.AddOpenTelemetry(options => options.AddProcessor(_batch)));
        _logger = _loggerFactory.CreateLogger("bench");

        _insightsConfiguration = new TelemetryConfiguration { TelemetryChannel = _channel };
        _insights = new TelemetryClient(_insightsConfiguration);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Read by DeliveryColumns in the host process: lines that start with "//" reach it.
        var processed = _candorSink.Count + _exporter.Count + _channel.Count;
        Console.WriteLine($"// tracked {_tracked}");
        Console.WriteLine($"// processed {processed}");
        Console.WriteLine($"// dropped by Candor {_candor.Dropped.Values.Sum()}");
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

    [Benchmark(Baseline = true, Description = "Candor", OperationsPerInvoke = Burst)]
    public bool Candor()
    {
        for (var i = 0; i < Burst; i++)
        {
            _candor.Event("install").With("triplet", "x64-linux").With("cached", true).With("buildTime", 1500.0).Track();
        }

        _tracked += Burst;
        return _candor.Flush(FlushTimeout);
    }

    [Benchmark(Description = "Candor, telemetry off")]
    public void CandorOff() =>
        _candorOff.Event("install").With("triplet", "x64-linux").With("cached", true).With("buildTime", 1500.0).Track();

    [Benchmark(Description = "OpenTelemetry ILogger (batch)", OperationsPerInvoke = Burst)]
    public bool OpenTelemetryLogger()
    {
        for (var i = 0; i < Burst; i++)
        {
            LogInstall(_logger, "x64-linux", true, 1500.0);
        }

        _tracked += Burst;

        // Not ForceFlush: in this configuration it returned hundreds of milliseconds after the exporter was done.
        return _exporter.WaitFor(_tracked, FlushTimeout);
    }

    [Benchmark(Description = "Application Insights TrackEvent", OperationsPerInvoke = Burst)]
    public void ApplicationInsights()
    {
        for (var i = 0; i < Burst; i++)
        {
            _insights.TrackEvent(
                "install",
                new Dictionary<string, string> { ["triplet"] = "x64-linux", ["cached"] = "true" },
                new Dictionary<string, double> { ["buildTime"] = 1500.0 });
        }

        _tracked += Burst;
        _insights.Flush();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "install {Triplet} {Cached} {BuildTime}")]
    private static partial void LogInstall(ILogger logger, string triplet, bool cached, double buildTime);

    /// <summary>
    /// A client built as <see cref="CandorClient.CreateForTesting"/> builds one (consent resolved on an in-memory home and
    /// <paramref name="environment"/>), writing to <paramref name="sink"/>.
    /// </summary>
    internal static CandorClient ClientWith(TelemetryManifest manifest, IEventSink sink, Dictionary<string, string>? environment = null)
    {
        var options = new CandorOptions { Manifest = manifest };
        return CandorClient.Start(ClientSetup.ForTesting(options, sink, environment ?? []), options);
    }

    private sealed class CountingSink : IEventSink
    {
        public long Count { get; private set; }

        public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
        {
            Count++;
            return true;
        }
    }

    // Counts what it is given and wakes a waiter once the count reaches what it waits for.
    private sealed class CountingExporter : BaseExporter<LogRecord>
    {
        private readonly ManualResetEventSlim _reached = new();
        private long _count;
        private long _target = long.MaxValue;

        public long Count => Volatile.Read(ref _count);

        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            if (Interlocked.Add(ref _count, batch.Count) >= Volatile.Read(ref _target))
            {
                _reached.Set();
            }

            return ExportResult.Success;
        }

        public bool WaitFor(long count, TimeSpan timeout)
        {
            _reached.Reset();
            Volatile.Write(ref _target, count);
            return Count >= count || _reached.Wait(timeout);
        }

        protected override void Dispose(bool disposing)
        {
            _reached.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class CountingChannel : ITelemetryChannel
    {
        public long Count { get; private set; }

        public bool? DeveloperMode { get; set; }

        public string EndpointAddress { get; set; } = "";

        public void Send(ITelemetry item) => Count++;

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
