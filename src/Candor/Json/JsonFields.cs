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

    /// <summary>
    /// Whether <paramref name="left"/> and <paramref name="right"/> hold the same JSON value, whatever their layout:
    /// the same tokens in the same order, strings compared after unescaping and numbers by value, comments and
    /// trailing commas allowed (as in hand-edited files). What <see cref="JsonValues.CopyValue"/> writes is the same
    /// value as what it read, so a file can be checked against a value without writing anything.
    /// </summary>
    /// <exception cref="JsonException">Either side is malformed.</exception>
    public static bool SameValue(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var a = new JsonScanner(left, handEdited: true);
        var b = new JsonScanner(right, handEdited: true);
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

    private static bool SameToken(ref JsonScanner a, ref JsonScanner b) => a.TokenType switch
    {
        JsonToken.PropertyName or JsonToken.String => a.ValueIsEscaped || b.ValueIsEscaped
            ? a.GetString() == b.GetString()
            : a.ValueSpan.SequenceEqual(b.ValueSpan),
        JsonToken.Number => SameNumber(ref a, ref b),
        _ => true,
    };

    // As CopyValue writes them: by decimal value, else by double value; a number neither can hold is compared as spelled.
    private static bool SameNumber(ref JsonScanner a, ref JsonScanner b)
    {
        if (a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y))
        {
            return x == y;
        }

        return a.TryGetDouble(out var p) && b.TryGetDouble(out var q) && double.IsFinite(p) && double.IsFinite(q)
            ? p == q
            : a.ValueSpan.SequenceEqual(b.ValueSpan);
    }

    private static Exception Mismatch(ref JsonScanner reader, string expected) =>
        JsonScanner.Malformed($"Expected {expected}, found {reader.TokenType} at byte {reader.TokenStartIndex}.");
}
