using System.Diagnostics;
using System.Globalization;
using Candor.Delivery;
using Candor.Manifest;
using Candor.Sinks;
using Candor.Storage;
using Candor.Tracking;

namespace Candor.Benchmarks;

/// <summary>
/// The rates at which a tool can track events for seconds on end without Candor dropping any: for each rate, a loop
/// tracks that many events a second, in a burst every millisecond as a library tracking per operation would, for a
/// few seconds, with the writer handing every event to the spool (one file per event in a temporary folder, as a
/// tool's run writes them) or to a sink that discards, and counts what the queue dropped. Run with
/// <c>dotnet run -c Release --project bench/Candor.Benchmarks -- rate [seconds per rate]</c>.
/// </summary>
internal static class SustainedRate
{
    private static readonly int[] Rates = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000];

    public static void Run(string[] args)
    {
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var manifest = TelemetryManifest.Parse(TrackEventBenchmarks.Manifest);
        Console.WriteLine($"{seconds} s per rate, queue of {new CandorOptions().QueueCapacity} events, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        Console.WriteLine("| sink | rate (events/s) | tracked | written | dropped (queue full) | achieved rate (events/s) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var spool in new[] { true, false })
        {
            foreach (var rate in Rates)
            {
                var folder = Directory.CreateTempSubdirectory("candor-rate-");
                try
                {
                    IEventSink sink = spool ? new SpoolWriter(folder.FullName) : new Discard();
                    using var client = TrackEventBenchmarks.ClientWith(manifest, sink);
                    var (tracked, elapsed) = Track(client, rate, seconds);
                    client.Flush(TimeSpan.FromSeconds(60));
                    var written = ((ICounting)sink).Written;
                    var dropped = client.Dropped.GetValueOrDefault(DropReason.QueueFull);
                    Console.WriteLine(FormattableString.Invariant(
                        $"| {(spool ? "spool" : "discard")} | {rate:N0} | {tracked:N0} | {written:N0} | {dropped:N0} | {tracked / elapsed.TotalSeconds:N0} |"));
                }
                finally
                {
                    folder.Delete(recursive: true);
                }
            }
        }

        Console.WriteLine($"load average after: {LoadAverage()}");
    }

    // Tracks rate events a second, a millisecond's share at a time, for the given time; returns how many and how long.
    private static (long Tracked, TimeSpan Elapsed) Track(CandorClient client, int rate, double seconds)
    {
        var started = Stopwatch.GetTimestamp();
        long tracked = 0;
        while (true)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed.TotalSeconds >= seconds)
            {
                return (tracked, elapsed);
            }

            var due = (long)(elapsed.TotalSeconds * rate);
            for (; tracked < due; tracked++)
            {
                client.Event("install").With("triplet", "x64-linux").With("cached", true).With("buildTime", 1500.0).Track();
            }

            Thread.Sleep(1);
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private interface ICounting
    {
        long Written { get; }
    }

    // What SpoolSink does with an event, without the upload it schedules: the spool's write of one file.
    private sealed class SpoolWriter(string root) : IEventSink, ICounting
    {
        private readonly Spool _spool = new(
            new CandorHome(root), "bench", PhysicalFileSystem.Instance, TimeProvider.System, new DeliveryOptions(), new DeliveryCounters());

        public long Written { get; private set; }

        public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
        {
            if (!_spool.TryWrite(id, json.Span))
            {
                return false;
            }

            Written++;
            return true;
        }
    }

    private sealed class Discard : IEventSink, ICounting
    {
        public long Written { get; private set; }

        public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
        {
            Written++;
            return true;
        }
    }
}
