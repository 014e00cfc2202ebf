namespace Candor.Collector.Storage;

/// <summary>
/// Log-scale buckets for durations, so the rollups can answer percentiles over months without raw events.
/// Each bucket spans a factor of <see cref="Growth"/>, so a percentile read from the buckets is within 1% of the
/// exact one. Durations under 1 ms share bucket 0.
/// </summary>
internal static class DurationHistogram
{
    public const double Growth = 1.02;

    private static readonly double LogGrowth = Math.Log(Growth);

    public static int BucketOf(double milliseconds) =>
        milliseconds < 1 ? 0 : 1 + (int)Math.Floor(Math.Log(milliseconds) / LogGrowth);

    /// <summary>The value that stands for a bucket: the geometric middle of its range.</summary>
    public static double ValueOf(int bucket) =>
        bucket <= 0 ? 0 : Math.Pow(Growth, bucket - 0.5);

    /// <summary>The nearest-rank percentile (0 &lt; <paramref name="percentile"/> &lt;= 1) of a histogram sorted by bucket.</summary>
    public static double Percentile(IReadOnlyList<(int Bucket, long Count)> sortedBuckets, long total, double percentile)
    {
        if (total <= 0)
        {
            return 0;
        }

        return ValueAtRank(sortedBuckets, (long)Math.Ceiling(percentile * total));
    }

    /// <summary>The value of the <paramref name="rank"/>-th smallest duration (from 1) of a histogram sorted by bucket; the largest when there are fewer.</summary>
    public static double ValueAtRank(IReadOnlyList<(int Bucket, long Count)> sortedBuckets, long rank)
    {
        if (sortedBuckets.Count == 0)
        {
            return 0;
        }

        long seen = 0;
        foreach (var (bucket, count) in sortedBuckets)
        {
            seen += count;
            if (seen >= rank)
            {
                return ValueOf(bucket);
            }
        }

        return ValueOf(sortedBuckets[^1].Bucket);
    }
}
