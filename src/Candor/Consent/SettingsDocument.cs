using System.Text.Json;
using System.Text.Json.Serialization;

namespace Candor.Consent;

// settings.json as written. Levels stay strings so that a hand-edited typo is seen (and treated as off)
// instead of failing the whole file; unknown members are carried through so an older SDK that rewrites
// the file keeps what a newer one added.
internal sealed class SettingsDocument
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>The machine-wide choice: every Candor product of this user, unless a product has its own.</summary>
    public string? Level { get; set; }

    /// <summary>Every product seen on this machine or given a choice, by product ID.</summary>
    public Dictionary<string, ProductSettings> Products { get; set; } = new(StringComparer.Ordinal);

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

internal sealed class ProductSettings
{
    /// <summary>The user's choice for this product, or null when the machine-wide choice applies.</summary>
    public string? Level { get; set; }

    /// <summary>When a run of the product first found telemetry on, on this machine.</summary>
    public DateTimeOffset? Seen { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

// The machine policy file an administrator places on a managed machine, e.g. {"telemetry":"off"}.
internal sealed class PolicyDocument
{
    public string? Telemetry { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

// People edit these files by hand, so comments and trailing commas are accepted and output is indented.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true)]
[JsonSerializable(typeof(SettingsDocument))]
[JsonSerializable(typeof(PolicyDocument))]
internal sealed partial class SettingsJsonContext : JsonSerializerContext;
