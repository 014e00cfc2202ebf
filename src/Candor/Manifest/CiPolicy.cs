namespace Candor.Manifest;

/// <summary>What a product does in a continuous-integration run.</summary>
public enum CiPolicy
{
    /// <summary>Collect, tagged with the CI vendor so CI runs do not count as users (the default).</summary>
    Tag,

    /// <summary>Collect nothing in CI.</summary>
    Suppress,
}
