using System.Diagnostics;
using System.Globalization;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// Writes a year of synthetic events straight into a collector data folder through the collector's own store
/// (<see cref="SqliteEventStore"/>), so rows, interning and rollups are exactly what ingestion would have made,
/// without HTTP and validation in the way. About 100,000 events per transaction, the next chunk generated while
/// the store commits the last. A marker file records a finished set, so later runs reuse it.
/// </summary>
internal static class DatasetGenerator
{
    public const int Days = 365;
    public const int ChunkEvents = 100_000;

    public static string MarkerPath(string dataPath) => Path.Combine(dataPath, "bench-dataset.txt");

    /// <summary>The installs in the set; the query benchmark reports them.</summary>
    public static int InstallsFor(int events) => Math.Max(1000, events / 200);

    public static async Task<DateOnly> EnsureAsync(string dataPath, int events, DateOnly lastDay)
    {
        var marker = MarkerPath(dataPath);
        var expected = string.Create(CultureInfo.InvariantCulture, $"events={events} lastDay={lastDay:yyyy-MM-dd} layout={SqliteSchema.Version}");
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == expected)
        {
            Console.WriteLine($"  reusing the data set in {dataPath} ({expected})");
            return lastDay;
        }

        if (Directory.Exists(dataPath))
        {
            Directory.Delete(dataPath, recursive: true);
        }

        Directory.CreateDirectory(dataPath);
        var options = new StorageOptions { DataPath = dataPath, FlushEachCommit = false, MaxEventsPerTransaction = ChunkEvents };
        await using (var store = new SqliteEventStore(options))
        {
            await store.InitializeAsync(CancellationToken.None);
            await WriteAsync(store, events, lastDay);
        }

        File.WriteAllText(marker, expected);
        return lastDay;
    }

    /// <summary>
    /// Registers the workload's product in <paramref name="store"/> and appends the year of events ending on
    /// <paramref name="lastDay"/>, or only its first <paramref name="days"/> days.
    /// </summary>
    public static async Task WriteAsync(IEventStore store, int events, DateOnly lastDay, int days = Days)
    {
        var firstDay = lastDay.AddDays(-(Days - 1));
        var workload = new Workload(InstallsFor(events), firstDay);
        var watch = Stopwatch.StartNew();
        var created = new DateTimeOffset(firstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        await store.SaveProductAsync(new ProductRecord(Workload.Product, 14, 5, created), CancellationToken.None);
        await store.AddManifestAsync(new ManifestRecord(Workload.Product, 1, Workload.ManifestJson, created), CancellationToken.None);

        var random = new Random(3);
        var perDay = events / Days;
        var chunk = new List<IncomingEvent>(ChunkEvents);
        Task? committing = null;
        long written = 0;
        for (var d = 0; d < days; d++)
        {
            var day = firstDay.AddDays(d);
            var count = d == Days - 1 ? events - (perDay * (Days - 1)) : perDay;
            var end = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            foreach (var e in workload.Day(day, count, random, end))
            {
                chunk.Add(workload.ToIncoming(e));
                if (chunk.Count == ChunkEvents)
                {
                    committing = await CommitAsync(store, committing, chunk);
                    written += chunk.Count;
                    chunk = new List<IncomingEvent>(ChunkEvents);
                    if (written % 1_000_000 == 0)
                    {
                        Console.WriteLine($"  {written:N0} events written ({written / watch.Elapsed.TotalSeconds:N0} events/s)");
                    }
                }
            }
        }

        committing = await CommitAsync(store, committing, chunk);
        await committing;
        written += chunk.Count;
        Console.WriteLine($"  generated {written:N0} events over {days} days from {workload.Installs:N0} installs in {watch.Elapsed.TotalSeconds:F0} s ({written / watch.Elapsed.TotalSeconds:N0} events/s)");
    }

    // One chunk commits while the next is generated; never more than one waits, so memory stays bounded.
    private static async Task<Task> CommitAsync(IEventStore store, Task? previous, List<IncomingEvent> chunk)
    {
        if (previous is not null)
        {
            await previous;
        }

        return store.AppendAsync(chunk, CancellationToken.None);
    }
}
