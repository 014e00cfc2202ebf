using System.Text.Json;

namespace Candor.Json;

/// <summary>
/// Reading the SDK's small files with <see cref="JsonScanner"/>: the root, the members, and their values in the
/// types the files hold. The codecs keep the serializer's rules: a value of the wrong type, a bad date or number, or
/// anything after the root value fails the whole file with <see cref="JsonException"/>, as it did before.
/// Nothing here touches System.Text.Json but to report a malformed file (see <see cref="JsonScanner"/> for why).
/// </summary>
internal static class JsonFields
{
    /// <summary>
    /// Moves to the root value: true at the start of an object, false when the root is <c>null</c> (the serializer
    /// read that as no document).
    /// </summary>
    /// <exception cref="JsonException">The root is neither an object nor <c>null</c>, or the JSON is malformed.</exception>
    public static bool StartRoot(ref JsonScanner reader)
    {
        if (!reader.Read())
        {
            throw JsonScanner.Malformed("The file is empty.");
        }

        if (reader.TokenType == JsonToken.Null)
        {
            EndRoot(ref reader);
            return false;
        }

        ExpectStartObject(ref reader);
        return true;
    }

    /// <summary>Checks that nothing but whitespace (and, where allowed, comments) follows the root value.</summary>
    /// <exception cref="JsonException">Something does.</exception>
    public static void EndRoot(ref JsonScanner reader)
    {
        if (reader.Read())
        {
            throw JsonScanner.Malformed($"Unexpected {reader.TokenType} after the root value.");
        }
    }

    /// <summary>
    /// Moves to the next property name of the object being read; false at the object's end. Match the name with
    /// <see cref="IsMember(ref JsonScanner, ReadOnlySpan{byte})"/>, or skip name and value with <see cref="JsonScanner.Skip"/>.
    /// </summary>
    public static bool NextProperty(ref JsonScanner reader) => reader.Read() && reader.TokenType == JsonToken.PropertyName;

    /// <summary>Whether the current property is <paramref name="name"/>; if so, moves the reader to its value.</summary>
    public static bool IsMember(ref JsonScanner reader, ReadOnlySpan<byte> name)
    {
        if (!reader.ValueTextEquals(name))
        {
            return false;
        }

        reader.Read();
        return true;
    }

    /// <exception cref="JsonException">The current token does not start an object.</exception>
    public static void ExpectStartObject(ref JsonScanner reader)
    {
        if (reader.TokenType != JsonToken.StartObject)
        {
            throw Mismatch(ref reader, "an object");
        }
    }

    /// <summary>The current string, or null for JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The value is neither.</exception>
    public static string? NullableString(ref JsonScanner reader) => reader.TokenType switch
    {
        JsonToken.String => reader.GetString(),
        JsonToken.Null => null,
        _ => throw Mismatch(ref reader, "a string"),
    };

    /// <exception cref="JsonException">The value is not a number that fits an <see cref="int"/>.</exception>
    public static int Int32(ref JsonScanner reader) =>
        reader.TryGetInt32(out var value) ? value : throw Mismatch(ref reader, "a 32-bit integer");

    /// <exception cref="JsonException">The value is not a GUID string.</exception>
    public static Guid Guid(ref JsonScanner reader) =>
        reader.TryGetGuid(out var value) ? value : throw Mismatch(ref reader, "a GUID");

    /// <exception cref="JsonException">The value is not an ISO 8601 date string.</exception>
    public static DateTimeOffset DateTimeOffset(ref JsonScanner reader) =>
        reader.TryGetDateTimeOffset(out var value) ? value : throw Mismatch(ref reader, "a date");

    /// <summary>The current date, or null for JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The value is neither.</exception>
    public static DateTimeOffset? NullableDateTimeOffset(ref JsonScanner reader) =>
        reader.TokenType == JsonToken.Null ? null : DateTimeOffset(ref reader);

    private static Exception Mismatch(ref JsonScanner reader, string expected) =>
        JsonScanner.Malformed($"Expected {expected}, found {reader.TokenType} at byte {reader.TokenStartIndex}.");
}
