using System.Text.Json;
using Candor.Json;

namespace Candor.Catalog;

/// <summary>
/// Reads and writes <c>catalog/{id}.json</c> (<see cref="ProductRecordDocument"/>) with the JSON reader and writer
/// directly: every run with telemetry on builds the record to compare it with the file (see
/// <see cref="JsonValues"/> for why not the serializer). Indented, camel case, without null members; unknown
/// members are ignored.
/// </summary>
internal static class ProductRecordJson
{
    /// <summary>The record in <paramref name="json"/>, or null when the file holds JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The file is not valid JSON or a member has the wrong type.</exception>
    public static ProductRecordDocument? Read(ReadOnlySpan<byte> json)
    {
        var reader = new JsonScanner(json);
        if (!JsonFields.StartRoot(ref reader))
        {
            return null;
        }

        var document = new ProductRecordDocument();
        while (JsonFields.NextProperty(ref reader))
        {
            if (JsonFields.IsMember(ref reader, "version"u8))
            {
                document.Version = JsonFields.Int32(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "stamp"u8))
            {
                document.Stamp = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "product"u8))
            {
                document.Product = JsonFields.NullableString(ref reader)!;
            }
            else if (JsonFields.IsMember(ref reader, "productVersion"u8))
            {
                document.ProductVersion = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "endpoint"u8))
            {
                document.Endpoint = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "ingestionKey"u8))
            {
                document.IngestionKey = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "manifest"u8))
            {
                // The value's own text, from its first byte to its last.
                document.Manifest = reader.SkipValue().ToArray();
            }
            else
            {
                reader.Skip();
            }
        }

        JsonFields.EndRoot(ref reader);
        return document;
    }

    /// <summary>The record as the file holds it; a record without a manifest is written without one.</summary>
    public static byte[] Write(ProductRecordDocument document) => JsonValues.Write(JsonValues.Indented, writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("version"u8, document.Version);
        JsonValues.WriteIfNotNull(writer, "stamp"u8, document.Stamp);
        JsonValues.WriteIfNotNull(writer, "product"u8, document.Product);
        JsonValues.WriteIfNotNull(writer, "productVersion"u8, document.ProductVersion);
        JsonValues.WriteIfNotNull(writer, "endpoint"u8, document.Endpoint);
        JsonValues.WriteIfNotNull(writer, "ingestionKey"u8, document.IngestionKey);
        if (!document.Manifest.IsEmpty)
        {
            writer.WritePropertyName("manifest"u8);
            JsonValues.CopyValue(document.Manifest.Span, writer);
        }

        writer.WriteEndObject();
    });
}
