using System.Text.Json;

namespace Candor.Json;

/// <summary>
/// Writing the SDK's small files with <see cref="Utf8JsonWriter"/> directly, and the member helpers of the manifest's
/// <see cref="Utf8JsonReader"/>. Reading the home's files is <see cref="JsonFields"/>' work, which loads none of
/// System.Text.Json. <c>JsonSerializer</c> builds its type metadata on first use, in generic framework code
/// instantiated over Candor's types that ReadyToRun cannot precompile, so every run of a tool paid tens of
/// milliseconds of JIT to read three small files.
/// </summary>
internal static class JsonValues
{
    /// <summary>Indented output, as people read these files.</summary>
    public static JsonWriterOptions Indented => WriterOptions.Indented;

    /// <summary>Compact output, for files only programs read.</summary>
    public static JsonWriterOptions Compact => WriterOptions.Compact;

    /// <summary>The files people may edit by hand accept comments and trailing commas.</summary>
    public static readonly JsonReaderOptions HandEdited = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary><see cref="JsonFields.NextProperty(ref JsonScanner)"/> for the manifest's reader.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    /// <summary><see cref="JsonFields.IsMember(ref JsonScanner, ReadOnlySpan{byte})"/> for the manifest's reader.</summary>
    public static bool IsMember(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.ValueTextEquals(name))
        {
            return false;
        }

        reader.Read();
        return true;
    }

    /// <summary>Writes a string property, or nothing when <paramref name="value"/> is null (the files' <c>WhenWritingNull</c>).</summary>
    public static void WriteIfNotNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    /// <summary>Writes a date property, or nothing when <paramref name="value"/> is null.</summary>
    public static void WriteIfNotNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTimeOffset? value)
    {
        if (value is { } date)
        {
            writer.WriteString(name, date);
        }
    }

    /// <summary>
    /// Writes the one JSON value in <paramref name="json"/> (comments and trailing commas allowed, as in
    /// <see cref="HandEdited"/>) token by token, in <paramref name="writer"/>'s layout: what
    /// <c>JsonDocument.Parse(json).RootElement.WriteTo(writer)</c> writes, without building the document (numbers
    /// in exponent form excepted, which are written out).
    /// </summary>
    /// <exception cref="JsonException">The JSON is malformed or holds more than one value.</exception>
    public static void CopyValue(ReadOnlySpan<byte> json, Utf8JsonWriter writer)
    {
        // The reader itself refuses a second value, and an unfinished one, with JsonException.
        var reader = new Utf8JsonReader(json, HandEdited);
        var copied = false;
        while (reader.Read())
        {
            copied = true;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    writer.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    writer.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    writer.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    writer.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName:
                    writer.WritePropertyName(reader.GetString()!);
                    break;
                case JsonTokenType.String:
                    writer.WriteStringValue(reader.GetString());
                    break;
                case JsonTokenType.Number:
                    // Written as a value, so the layout stays the writer's; decimal keeps a plainly written number's
                    // digits (2.50 stays 2.50), and only an exponent form changes spelling (1e3 becomes 1000).
                    if (reader.TryGetDecimal(out var number))
                    {
                        writer.WriteNumberValue(number);
                    }
                    else
                    {
                        writer.WriteNumberValue(reader.GetDouble());
                    }

                    break;
                case JsonTokenType.True:
                case JsonTokenType.False:
                    writer.WriteBooleanValue(reader.GetBoolean());
                    break;
                case JsonTokenType.Null:
                    writer.WriteNullValue();
                    break;
            }
        }

        if (!copied)
        {
            throw new JsonException("There is no value to copy.");
        }
    }

    /// <summary>Writes a document with <paramref name="write"/> and returns its bytes.</summary>
    public static byte[] Write(JsonWriterOptions options, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream(512);
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            write(writer);
        }

        return buffer.ToArray();
    }

    // The writers' encoder is built on first write: a run that only reads a file (every start reads the settings)
    // then never loads System.Text.Encodings.Web or builds its tables, which costs more than the read itself.
    private static class WriterOptions
    {
        public static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = AsciiJsonEncoder.Instance };

        public static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = AsciiJsonEncoder.Instance };
    }
}
