namespace Candor.Collector.Dashboard;

/// <summary>
/// How the dashboard words the noisy low-count filter (<c>FigureNoise.Shown</c>, docs/privacy-model.md "Published
/// figures"): a group is shown when its distinct installs reach k plus noise of deviation
/// <paramref name="Deviation"/>, clipped at two deviations, and never when it is a single install (k above 1).
/// So the page cannot truthfully say "fewer than k": it says "about k" and gives the sizes that are always hidden
/// and always shown.
/// </summary>
/// <param name="K">The product's threshold.</param>
/// <param name="Deviation">The deviation of the noise on k (<c>Query:Noise:Threshold</c>).</param>
internal sealed record SmallGroups(int K, double Deviation)
{
    /// <summary>Whether the filter hides anything for being small: only when k is above 1.</summary>
    public bool Hides => K > 1;

    /// <summary>The largest group that is never shown (at least a single install).</summary>
    public long AlwaysHiddenUpTo => Math.Max(1, (long)Math.Ceiling(K - 2 * Deviation) - 1);

    /// <summary>The smallest group that is always shown.</summary>
    public long AlwaysShownFrom => Math.Max(2, (long)Math.Ceiling(K + 2 * Deviation));

    /// <summary>The page's note on what it hides and why.</summary>
    public string Rule => Hides
        ? $"Groups with too few distinct installs are hidden, exactly as the query API hides them: the cut-off is about {K} installs, " +
          $"with a little noise, so {GroupOf(AlwaysHiddenUpTo)}{(AlwaysHiddenUpTo > 1 ? " or fewer" : "")} is always hidden and one of {Format.Count(AlwaysShownFrom)} installs or more always shown."
        : $"No group is hidden for being small: this product's threshold k is {K}.";

    /// <summary>A section whose every group is hidden.</summary>
    public string AllHidden => Hides
        ? $"Everything here is hidden: no group has enough installs (about {K} or more)."
        : "Everything here is hidden.";

    /// <summary>A section that shows some groups and hides <paramref name="count"/> more.</summary>
    public static string MoreHidden(int count) =>
        $"{Format.Count(count)} more {(count == 1 ? "group is" : "groups are")} hidden: too few installs.";

    /// <summary>The product list's short form.</summary>
    public static string Short(int k) => k > 1 ? $"groups under about {k} installs hidden" : "no group hidden for its size";

    private static string GroupOf(long installs) => installs == 1 ? "a group of 1 install" : $"a group of {Format.Count(installs)} installs";
}
