using Candor.Json;

namespace Candor.Consent;

// settings.json as written (by SettingsJson). Levels stay strings so that a hand-edited typo is seen (and
// treated as off) instead of failing the whole file; unknown members are carried through so an older SDK that
// rewrites the file keeps what a newer one added.
internal sealed class SettingsDocument
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>The machine-wide choice: every Candor product of this user, unless a product has its own.</summary>
    public string? Level { get; set; }

    /// <summary>Every product seen on this machine or given a choice, by product ID.</summary>
    public Dictionary<string, ProductSettings> Products { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Members this SDK does not know, kept as they were and written after the known ones.</summary>
    public UnknownMembers? Unknown { get; set; }
}

internal sealed class ProductSettings
{
    /// <summary>The user's choice for this product, or null when the machine-wide choice applies.</summary>
    public string? Level { get; set; }

    /// <summary>When a run of the product first found telemetry on, on this machine.</summary>
    public DateTimeOffset? Seen { get; set; }

    /// <summary>Members this SDK does not know, kept as they were.</summary>
    public UnknownMembers? Unknown { get; set; }
}
