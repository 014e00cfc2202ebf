using System.Globalization;

namespace Candor.Manifest;

/// <summary>
/// Names the bucket a number falls into. Boundaries b0 &lt; b1 &lt; ... give the buckets
/// <c>&lt;b0</c>, <c>b0-b1</c> (b0 inclusive, b1 exclusive), ..., <c>&gt;=bn</c>.
/// </summary>
internal static class BucketLabel
{
    public static IReadOnlyList<string> All(IReadOnlyList<double> boundaries)
    {
        if (boundaries.Count == 0)
        {
            return [];
        }

        var labels = new string[boundaries.Count + 1];
        labels[0] = "<" + Format(boundaries[0]);
        for (var i = 1; i < boundaries.Count; i++)
        {
            labels[i] = Format(boundaries[i - 1]) + "-" + Format(boundaries[i]);
        }

        labels[^1] = ">=" + Format(boundaries[^1]);
        return labels;
    }

    /// <summary>The index into <see cref="All"/> of the bucket that holds <paramref name="value"/>.</summary>
    public static int IndexOf(IReadOnlyList<double> boundaries, double value)
    {
        var i = 0;
        while (i < boundaries.Count && value >= boundaries[i])
        {
            i++;
        }

        return i;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
