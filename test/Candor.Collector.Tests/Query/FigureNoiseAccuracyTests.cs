using Candor.Collector.Query;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Candor.Collector.Tests.Query;

/// <summary>
/// Measures how far a published installs count is from the exact one at 100, 1,000 and 100,000 installs, over many
/// independent sets of installs (fingerprints), with the default parameters: the figures docs/privacy-model.md gives
/// ("How far a published figure is from the exact one"). The test output prints what was measured.
/// </summary>
public sealed class FigureNoiseAccuracyTests(ITestOutputHelper output)
{
    private const int Sets = 4000;

    [Theory]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public async Task InstallsCount_IsUnbiased_WithTheDocumentedDeviation_AtAnySize(long installs)
    {
        await WithNoiseAsync(noise =>
        {
            var plain = new EventFilter("sample", new(2026, 3, 1), new(2026, 3, 31));

            var whole = Measure(noise, installs, Figure.Of(plain));
            var filtered = Measure(noise, installs, Figure.Of(plain with { Os = "linux" }));

            output.WriteLine($"{installs} installs: no condition mean {whole.Mean:+0.00;-0.00} sd {whole.Deviation:0.00} ({whole.Deviation / installs:P3}); " +
                $"with a condition mean {filtered.Mean:+0.00;-0.00} sd {filtered.Deviation:0.00} ({filtered.Deviation / installs:P3})");

            // One layer of deviation 2 (rounded to whole installs); two layers with a condition, 2√2 ≈ 2.83.
            Assert.InRange(whole.Mean, -0.2, 0.2);
            Assert.InRange(whole.Deviation, 1.85, 2.2);
            Assert.InRange(filtered.Mean, -0.25, 0.25);
            Assert.InRange(filtered.Deviation, 2.65, 3.05);
        });
    }

    // Each period's buckets get their noise together (FigureNoise.Buckets): it must still be one normal value of
    // the documented deviation per layer and bucket, unrelated from one bucket to the next, and the same when asked again.
    [Fact]
    public async Task BucketCounts_AreUnbiased_WithTheDocumentedDeviation_UnrelatedAndSticky()
    {
        await WithNoiseAsync(noise =>
        {
            var plain = new EventFilter("sample", new(2026, 3, 1), new(2026, 3, 31));

            var whole = MeasureBuckets(noise, Figure.Of(plain));
            var filtered = MeasureBuckets(noise, Figure.Of(plain with { Event = "build" }));
            output.WriteLine($"buckets: no condition mean {whole.Mean:+0.000;-0.000} sd {whole.Deviation:0.000} next-bucket correlation {whole.Correlation:+0.000;-0.000}; " +
                $"with a condition mean {filtered.Mean:+0.000;-0.000} sd {filtered.Deviation:0.000} correlation {filtered.Correlation:+0.000;-0.000}");

            Assert.InRange(whole.Mean, -0.05, 0.05);
            Assert.InRange(whole.Deviation, 1.95, 2.1);
            Assert.InRange(filtered.Mean, -0.05, 0.05);
            Assert.InRange(filtered.Deviation, 2.75, 2.9);
            Assert.InRange(whole.Correlation, -0.02, 0.02);
            Assert.InRange(filtered.Correlation, -0.02, 0.02);

            var once = Period(4242);
            var again = Period(4242);
            noise.Buckets(Figure.Of(plain), "duration", 4242, once);
            noise.Buckets(Figure.Of(plain), "duration", 4242, again);
            Assert.Equal(once, again);
            var otherInstalls = Period(4242);
            noise.Buckets(Figure.Of(plain), "duration", 4243, otherInstalls);
            Assert.NotEqual(once, otherInstalls);
        });
    }

    // The default noise, keyed by a new store's secret.
    private static async Task WithNoiseAsync(Action<FigureNoise> measure)
    {
        var folder = Path.Combine(Path.GetTempPath(), "candor-noise-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var store = new SqliteEventStore(new StorageOptions { DataPath = folder, FlushEachCommit = false });
            await store.InitializeAsync(default);
            var noise = new FigureNoise(store, Options.Create(new NoiseOptions()));
            await noise.LoadAsync(default);
            measure(noise);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (double Mean, double Deviation, double Correlation) MeasureBuckets(FigureNoise noise, Figure figure)
    {
        const int Buckets = 400;
        const long Count = 1_000;
        var random = new Random(11);
        var errors = new List<double>(Sets * Buckets);
        double products = 0;
        for (var set = 0; set < Sets; set++)
        {
            var period = Period(Count);
            noise.Buckets(figure, "duration", random.NextInt64(), period);
            for (var i = 0; i < Buckets; i++)
            {
                errors.Add(period[i].Count - Count);
                if (i > 0)
                {
                    products += (period[i].Count - Count) * (double)(period[i - 1].Count - Count);
                }
            }
        }

        var mean = errors.Average();
        var variance = errors.Sum(e => (e - mean) * (e - mean)) / (errors.Count - 1);
        return (mean, Math.Sqrt(variance), (products / (Sets * (Buckets - 1)) - mean * mean) / variance);
    }

    // 400 buckets of one period, from bucket 100 on, each with the same exact count.
    private static (int Bucket, long Count)[] Period(long count) => [.. Enumerable.Range(100, 400).Select(b => (b, count))];

    private static (double Mean, double Deviation) Measure(FigureNoise noise, long installs, Figure figure)
    {
        var random = new Random(7);
        var errors = new double[Sets];
        for (var i = 0; i < Sets; i++)
        {
            errors[i] = noise.Installs(figure, installs, random.NextInt64()) - installs;
        }

        var mean = errors.Average();
        return (mean, Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (Sets - 1)));
    }
}
