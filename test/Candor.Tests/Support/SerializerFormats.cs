using System.Text.Json;
using System.Text.Json.Serialization;
using Candor.Delivery;
using Candor.Json;
using Candor.Protocol;

namespace Candor.Tests.Support;

// The SDK's small files were written by JsonSerializer with these shapes and options before they got their own
// codecs. The codec tests compare with them byte for byte, so files written by either version read in the other.
internal sealed class SerializerSettingsDocument
{
    public int Version { get; set; } = 1;

    public string? Level { get; set; }

    public Dictionary<string, SerializerProductSettings> Products { get; set; } = new(StringComparer.Ordinal);

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

internal sealed class SerializerProductSettings
{
    public string? Level { get; set; }

    public DateTimeOffset? Seen { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

internal sealed class SerializerIdentityDocument
{
    public Guid Install { get; set; }

    public DateTimeOffset FirstUse { get; set; }

    public int DisclosureVersion { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true)]
[JsonSerializable(typeof(SerializerSettingsDocument))]
internal sealed partial class SerializerSettingsContext : JsonSerializerContext;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SerializerIdentityDocument))]
internal sealed partial class SerializerIdentityContext : JsonSerializerContext;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeliveryState))]
internal sealed partial class SerializerDeliveryContext : JsonSerializerContext;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(SerializerProductRecord))]
internal sealed partial class SerializerProductRecordContext : JsonSerializerContext;

// catalog/{id}.json as the serializer wrote it, with the manifest as a JSON element.
internal sealed class SerializerProductRecord
{
    public int Version { get; set; } = 1;

    public string Product { get; set; } = "";

    public string? ProductVersion { get; set; }

    public string? Endpoint { get; set; }

    public string? IngestionKey { get; set; }

    public JsonElement Manifest { get; set; }
}

// The codecs write with the SDK's own escaping (AsciiJsonEncoder); the serializer is given the same to compare.
internal static class SerializerEscaping
{
    /// <summary>The options with the SDK's escaping (AsciiJsonEncoder), which is all the codecs' layout adds.</summary>
    public static JsonSerializerOptions AsCandorWrites(this JsonSerializerOptions options) => new(options) { Encoder = AsciiJsonEncoder.Instance };
}
