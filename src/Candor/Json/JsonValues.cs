using System.Text.Json;

namespace Candor.Json;

/// <summary>
/// Reading and writing the SDK's small files with <see cref="Utf8JsonReader"/> and <see cref="Utf8JsonWriter"/>
/// directly. <c>JsonSerializer</c> builds its type metadata on first use, in generic framework code instantiated
/// over Candor's types that ReadyToRun cannot precompile, so every run of a tool paid tens of milliseconds of JIT
/// to read three small files; the reader and writer are non-generic and come precompiled with the runtime.
/// The codecs keep the serializer's rules: a value of the wrong type, a bad date or number, or anything after
/// the root value fails the whole file with <see cref="JsonException"/>, as it did before.
/// </summary>
internal static class JsonValues
{
    /// <summary>Indented output, as people read these files.</summary>
    public static JsonWriterOptions Indented => WriterOptions.Indented;

    /// <summary>Compact output, for files only programs read.</summary>
    public static JsonWriterOptions Compact => WriterOptions.Compact;

    /// <summary>The files people may edit by hand accept comments and trailing commas.</summary>
    public static readonly JsonReaderOptions HandEdited = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// Moves to the root value: true at the start of an object, false when the root is <c>null</c> (the serializer
    /// read that as no document).
    /// </summary>
    /// <exception cref="JsonException">The root is neither an object nor <c>null</c>, or the JSON is malformed.</exception>
    public static bool StartRoot(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The file is empty.");
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            EndRoot(ref reader);
            return false;
        }

        ExpectStartObject(ref reader);
        return true;
    }

    /// <summary>Checks that nothing but whitespace (and, where allowed, comments) follows the root value.</summary>
    /// <exception cref="JsonException">Something does.</exception>
    public static void EndRoot(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException($"Unexpected {reader.TokenType} after the root value.");
        }
    }

    /// <summary>
    /// Moves to the next property name of the object being read; false at the object's end. Match the name with
    /// <see cref="Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/>, then <see cref="Utf8JsonReader.Read"/>
    /// moves to the value and <see cref="Utf8JsonReader.Skip"/> skips name and value.
    /// </summary>
    public static bool NextProperty(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    /// <summary>Whether the current property is <paramref name="name"/>; if so, moves the reader to its value.</summary>
    public static bool IsMember(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.ValueTextEquals(name))
        {
            return false;
        }

        reader.Read();
        return true;
    }

    /// <summary>Reads the current member into <paramref name="unknown"/>, created when needed; the reader is on its name.</summary>
    /// <exception cref="InvalidOperationException">The member holds text that could never be written back (see <see cref="JsonProblems.IsMalformed"/>).</exception>
    public static void ReadUnknown(ref Utf8JsonReader reader, ref Dictionary<string, JsonElement>? unknown)
    {
        var name = reader.GetString()!;
        reader.Read();
        var value = JsonElement.ParseValue(ref reader);

        // The element keeps its strings escaped and unchecked: a lone surrogate would only fail when the file is
        // written back, after the change was made. Writing it once here fails the read instead.
        using (var check = new Utf8JsonWriter(Stream.Null))
        {
            value.WriteTo(check);
        }

        (unknown ??= [])[name] = value;
    }

    /// <summary>Writes members kept by <see cref="ReadUnknown"/>, as they were.</summary>
    public static void WriteUnknown(Utf8JsonWriter writer, Dictionary<string, JsonElement>? unknown)
    {
        if (unknown is null)
        {
            return;
        }

        foreach (var (name, value) in unknown)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }

    /// <exception cref="JsonException">The current token does not start an object.</exception>
    public static void ExpectStartObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Mismatch(ref reader, "an object");
        }
    }

    /// <summary>The current string, or null for JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The value is neither.</exception>
    public static string? NullableString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw Mismatch(ref reader, "a string"),
    };

    /// <exception cref="JsonException">The value is not a number that fits an <see cref="int"/>.</exception>
    public static int Int32(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : throw Mismatch(ref reader, "a 32-bit integer");

    /// <exception cref="JsonException">The value is not a GUID string.</exception>
    public static Guid Guid(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var value) ? value : throw Mismatch(ref reader, "a GUID");

    /// <exception cref="JsonException">The value is not an ISO 8601 date string.</exception>
    public static DateTimeOffset DateTimeOffset(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value) ? value : throw Mismatch(ref reader, "a date");

    /// <summary>The current date, or null for JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The value is neither.</exception>
    public static DateTimeOffset? NullableDateTimeOffset(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? null : DateTimeOffset(ref reader);

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

    /// <summary>
    /// Whether <paramref name="left"/> and <paramref name="right"/> hold the same JSON value, whatever their layout:
    /// the same tokens in the same order, strings compared after unescaping and numbers by value, comments and
    /// trailing commas allowed (as in <see cref="HandEdited"/>). What <see cref="CopyValue"/> writes is the same
    /// value as what it read, so a file can be checked against a value without writing anything.
    /// </summary>
    /// <exception cref="JsonException">Either side is malformed.</exception>
    public static bool SameValue(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var a = new Utf8JsonReader(left, HandEdited);
        var b = new Utf8JsonReader(right, HandEdited);
        while (true)
        {
            var more = a.Read();
            if (more != b.Read())
            {
                return false;
            }

            if (!more)
            {
                return true;
            }

            if (a.TokenType != b.TokenType || !SameToken(ref a, ref b))
            {
                return false;
            }
        }
    }

    private static bool SameToken(ref Utf8JsonReader a, ref Utf8JsonReader b) => a.TokenType switch
    {
        JsonTokenType.PropertyName or JsonTokenType.String => a.ValueIsEscaped || b.ValueIsEscaped
            ? a.GetString() == b.GetString()
            : a.ValueSpan.SequenceEqual(b.ValueSpan),
        JsonTokenType.Number => SameNumber(ref a, ref b),
        _ => true,
    };

    // As CopyValue writes them: by decimal value, else by double value; a number neither can hold is compared as spelled.
    private static bool SameNumber(ref Utf8JsonReader a, ref Utf8JsonReader b)
    {
        if (a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y))
        {
            return x == y;
        }

        return a.TryGetDouble(out var p) && b.TryGetDouble(out var q) && double.IsFinite(p) && double.IsFinite(q)
            ? p == q
            : a.ValueSpan.SequenceEqual(b.ValueSpan);
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

    private static JsonException Mismatch(ref Utf8JsonReader reader, string expected) =>
        new($"Expected {expected}, found {reader.TokenType} at byte {reader.TokenStartIndex}.");

    // The writers' encoder is built on first write: a run that only reads a file (every start reads the settings)
    // then never loads System.Text.Encodings.Web or builds its tables, which costs more than the read itself.
    private static class WriterOptions
    {
        public static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = AsciiJsonEncoder.Instance };

        public static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = AsciiJsonEncoder.Instance };
    }
}
