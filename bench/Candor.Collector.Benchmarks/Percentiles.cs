using System.Globalization;

namespace Candor.Collector.Benchmarks;

/// <summary>Nearest-rank percentiles of measured durations.</summary>
internal sealed class Percentiles
{
    private readonly double[] _sorted;

    public Percentiles(IEnumerable<double> milliseconds)
    {
        _sorted = [.. milliseconds.Order()];
        if (_sorted.Length == 0)
        {
            throw new ArgumentException("nothing was measured", nameof(milliseconds));
        }
    }

    public int Count => _sorted.Length;

    public double Max => _sorted[^1];

    public double At(double percentile) => _sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * _sorted.Length) - 1, 0, _sorted.Length - 1)];

    public static string Ms(double milliseconds) =>
        milliseconds.ToString(milliseconds < 10 ? "0.00" : milliseconds < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);
}
