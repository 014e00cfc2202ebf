using System.Text.Json;
using Candor.Json;

namespace Candor.Consent;

/// <summary>
/// Reads and writes <c>settings.json</c> (<see cref="SettingsDocument"/>) and reads the machine policy
/// (<c>{"telemetry":"off"}</c>) with the JSON reader and writer directly: every run reads them, so they stay off
/// <c>JsonSerializer</c> (see <see cref="JsonValues"/> for why). Members are camel case; settings are written
/// indented without null members, unknown members are kept and written after the known ones, and both files may
/// hold comments and trailing commas, since people edit them by hand.
/// </summary>
internal static class SettingsJson
{
    /// <summary>The settings in <paramref name="json"/>, or null when the file holds JSON <c>null</c>.</summary>
    /// <remarks>A product whose entry is JSON <c>null</c> is left out, as if it were absent.</remarks>
    /// <exception cref="JsonException">The file is not valid JSON or a member has the wrong type.</exception>
    public static SettingsDocument? Read(ReadOnlySpan<byte> json)
    {
        var reader = new JsonScanner(json, handEdited: true);
        if (!JsonFields.StartRoot(ref reader))
        {
            return null;
        }

        var document = new SettingsDocument();
        UnknownMembers? unknown = null;
        while (JsonFields.NextProperty(ref reader))
        {
            if (JsonFields.IsMember(ref reader, "version"u8))
            {
                document.Version = JsonFields.Int32(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "level"u8))
            {
                document.Level = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "products"u8))
            {
                document.Products = ReadProducts(ref reader);
            }
            else
            {
                UnknownMembers.Read(ref reader, ref unknown);
            }
        }

        document.Unknown = unknown;
        JsonFields.EndRoot(ref reader);
        return document;
    }

    /// <summary>The settings as the file holds them: indented, camel case, without null members.</summary>
    public static byte[] Write(SettingsDocument document) => JsonValues.Write(JsonValues.Indented, writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("version"u8, document.Version);
        JsonValues.WriteIfNotNull(writer, "level"u8, document.Level);
        writer.WriteStartObject("products"u8);
        foreach (var (product, settings) in document.Products)
        {
            writer.WriteStartObject(product);
            JsonValues.WriteIfNotNull(writer, "level"u8, settings.Level);
            JsonValues.WriteIfNotNull(writer, "seen"u8, settings.Seen);
            settings.Unknown?.WriteTo(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        document.Unknown?.WriteTo(writer);
        writer.WriteEndObject();
    });

    /// <summary>The policy's <c>telemetry</c> value, or null when it has none (or the file holds JSON <c>null</c>).</summary>
    /// <exception cref="JsonException">The file is not valid JSON or <c>telemetry</c> is not a string.</exception>
    public static string? ReadPolicyTelemetry(ReadOnlySpan<byte> json)
    {
        var reader = new JsonScanner(json, handEdited: true);
        if (!JsonFields.StartRoot(ref reader))
        {
            return null;
        }

        string? telemetry = null;
        while (JsonFields.NextProperty(ref reader))
        {
            if (JsonFields.IsMember(ref reader, "telemetry"u8))
            {
                telemetry = JsonFields.NullableString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        JsonFields.EndRoot(ref reader);
        return telemetry;
    }

    // JSON null in place of the map reads as an empty map.
    private static Dictionary<string, ProductSettings> ReadProducts(ref JsonScanner reader)
    {
        var products = new Dictionary<string, ProductSettings>(StringComparer.Ordinal);
        if (reader.TokenType == JsonToken.Null)
        {
            return products;
        }

        JsonFields.ExpectStartObject(ref reader);
        while (JsonFields.NextProperty(ref reader))
        {
            var product = reader.GetString();
            reader.Read();
            if (reader.TokenType == JsonToken.Null)
            {
                products.Remove(product);
                continue;
            }

            products[product] = ReadProduct(ref reader);
        }

        return products;
    }

    private static ProductSettings ReadProduct(ref JsonScanner reader)
    {
        JsonFields.ExpectStartObject(ref reader);
        var settings = new ProductSettings();
        UnknownMembers? unknown = null;
        while (JsonFields.NextProperty(ref reader))
        {
            if (JsonFields.IsMember(ref reader, "level"u8))
            {
                settings.Level = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "seen"u8))
            {
                settings.Seen = JsonFields.NullableDateTimeOffset(ref reader);
            }
            else
            {
                UnknownMembers.Read(ref reader, ref unknown);
            }
        }

        settings.Unknown = unknown;
        return settings;
    }
}
