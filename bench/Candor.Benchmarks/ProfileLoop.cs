using System.Diagnostics;
using System.Globalization;

namespace Candor.Benchmarks;

/// <summary>
/// The Candor benchmark's loop of bursts, run on its own for a given time so a profiler (<c>perf record</c> with
/// <c>DOTNET_PerfMapEnabled=1</c>) can attach to one plain process instead of BenchmarkDotNet's children. Run with
/// <c>dotnet run -c Release --project bench/Candor.Benchmarks -- profile [seconds]</c>; prints the CPU per processed
/// event it measured, all threads, as a rough check against the benchmark's column.
/// </summary>
internal static class ProfileLoop
{
    public static void Run(string[] args)
    {
        var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        using var benchmarks = new TrackEventBenchmarks();
        benchmarks.Setup();

        // Warm-up: tiered compilation settles before the measured part.
        for (var i = 0; i < 2_000; i++)
        {
            benchmarks.Candor();
        }

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        long bursts = 0;
        while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
        {
            benchmarks.Candor();
            bursts++;
        }

        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var events = bursts * TrackEventBenchmarks.Burst;
        Console.WriteLine(FormattableString.Invariant(
            $"{events:N0} events in {Stopwatch.GetElapsedTime(started).TotalSeconds:N1} s, {cpu.TotalNanoseconds / events:N1} ns CPU per event, all threads"));
    }
}
