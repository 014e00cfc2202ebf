namespace Kpm;

/// <summary>kpm's feature flags, from <c>KPM_FEATURE_FLAGS</c> and then <c>--feature-flags</c> (which wins).</summary>
internal sealed record FeatureFlags(bool BinaryCaching, bool Manifests, bool Versions)
{
    public const string Variable = "KPM_FEATURE_FLAGS";

    public static FeatureFlags Default { get; } = new(BinaryCaching: true, Manifests: true, Versions: false);

    /// <summary>Applies each list in turn: <c>name</c> turns a flag on, <c>-name</c> off; unknown names are ignored, as kmpkg does.</summary>
    public static FeatureFlags Parse(params string?[] lists)
    {
        var flags = Default;
        foreach (var item in lists.SelectMany(l => (l ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var on = !item.StartsWith('-');
            flags = item.TrimStart('-').ToLowerInvariant() switch
            {
                "binarycaching" => flags with { BinaryCaching = on },
                "manifests" => flags with { Manifests = on },
                "versions" => flags with { Versions = on },
                _ => flags,
            };
        }

        return flags;
    }
}
