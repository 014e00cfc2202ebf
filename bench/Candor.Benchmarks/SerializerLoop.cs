using System.Diagnostics;
using System.Globalization;
using System.Text;
using Candor.Manifest;
using Candor.Tracking;

namespace Candor.Benchmarks;

/// <summary>
/// The event writer's serialization alone, on one thread: the benchmark's event (an enum, a bool and a duration, a
/// stamp with a verifier and a context) written again and again from 1,024 prepared events with IDs and times of
/// their own. A change of a few nanoseconds to the serializer is lost in the whole loop's noise on a busy machine;
/// here it shows. Run with <c>dotnet run -c Release --project bench/Candor.Benchmarks -- serialize</c>; prints the
/// best of 15 rounds of a million events, in nanoseconds per event. Run it several times, alternating the trees
/// compared.
/// </summary>
internal static class SerializerLoop
{
    private const int Rounds = 15;
    private const int EventsPerRound = 1_000_000;

    public static void Run()
    {
        var manifest = TelemetryManifest.Parse(TrackEventBenchmarks.Manifest);
        var install = manifest.Find("install")!;
        var context = """{"os":"linux","osVersion":"6.18","arch":"x64","dotnet":"10.0.12","ci":null,"container":false,"wsl":false,"interactive":true,"productVersion":"1.2.3"}""";
        var stamp = new EventStamp("bench", 1, Guid.NewGuid(), Guid.NewGuid(), new string('f', 64), Encoding.UTF8.GetBytes(context), [1, 2, 3], _ => false, []);
        using var serializer = new EventSerializer(new DropCounters());

        // As in a long run, where the benchmark's events are written.
        serializer.UseVectorisedIds();
        using var ids = new EventIds();
        ids.UsePlatformGenerator();
        var start = DateTimeOffset.UtcNow;
        var events = new PendingEvent[1024];
        for (var i = 0; i < events.Length; i++)
        {
            var pending = events[i] = new PendingEvent();
            pending.Start(install, start.AddTicks(i * 1_000L));
            pending.AssignId(ids);
            pending.Set(FieldValue.Text(install.Find("triplet")!, "x64-linux"));
            pending.Set(FieldValue.Numeric(install.Find("cached")!, 1));
            pending.Set(FieldValue.Numeric(install.Find("buildTime")!, 1500.0));
        }

        Write(serializer, events, stamp, 200_000);
        var best = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            Write(serializer, events, stamp, EventsPerRound);
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalNanoseconds / EventsPerRound);
        }

        Console.WriteLine(best.ToString("F1", CultureInfo.InvariantCulture) + " ns per event, best of " + Rounds);
    }

    private static long Write(EventSerializer serializer, PendingEvent[] events, EventStamp stamp, int count)
    {
        long bytes = 0;
        for (var i = 0; i < count; i++)
        {
            bytes += serializer.Write(events[i & (events.Length - 1)], stamp).Length;
        }

        return bytes;
    }
}
