using Candor.Collector.Query;
using Candor.Collector.Storage;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Candor.Collector.Tests.Query;

/// <summary>
/// Measures how far a published installs count is from the exact one at 100, 1,000 and 100,000 installs, over many
/// independent sets of installs (fingerprints), with the default parameters: the figures docs/privacy-model.md gives
/// ("How far a published figure is from the exact one"). The test output prints what was measured.
/// </summary>
public sealed class FigureNoiseAccuracyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Sets = 4000;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "candor-noise-" + Guid.NewGuid().ToString("N"));
    private SqliteEventStore _store = null!;
    private FigureNoise _noise = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteEventStore(new StorageOptions { DataPath = _folder, FlushEachCommit = false });
        await _store.InitializeAsync(default);
        _noise = new FigureNoise(_store, Options.Create(new NoiseOptions()));
        await _noise.LoadAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public void InstallsCount_IsUnbiased_WithTheDocumentedDeviation_AtAnySize(long installs)
    {
        var plain = new EventFilter("sample", new(2026, 3, 1), new(2026, 3, 31));
        var whole = Measure(installs, Figure.Of(plain));
        var filtered = Measure(installs, Figure.Of(plain with { Os = "linux" }));

        output.WriteLine($"{installs} installs: no condition mean {whole.Mean:+0.00;-0.00} sd {whole.Deviation:0.00} ({whole.Deviation / installs:P3}); " +
            $"with a condition mean {filtered.Mean:+0.00;-0.00} sd {filtered.Deviation:0.00} ({filtered.Deviation / installs:P3})");

        // One layer of deviation 2 (rounded to whole installs); two layers with a condition, 2√2 ≈ 2.83.
        Assert.InRange(whole.Mean, -0.2, 0.2);
        Assert.InRange(whole.Deviation, 1.85, 2.2);
        Assert.InRange(filtered.Mean, -0.25, 0.25);
        Assert.InRange(filtered.Deviation, 2.65, 3.05);
    }

    private (double Mean, double Deviation) Measure(long installs, Figure figure)
    {
        var random = new Random(7);
        var errors = new double[Sets];
        for (var i = 0; i < Sets; i++)
        {
            errors[i] = _noise.Installs(figure, installs, random.NextInt64()) - installs;
        }

        var mean = errors.Average();
        return (mean, Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (Sets - 1)));
    }
}
