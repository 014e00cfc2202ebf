using System.Buffers.Text;
using System.Text;

namespace Candor.Json;

/// <summary>The current token's value, in the types the files hold.</summary>
internal ref partial struct JsonScanner
{

    /// <summary>The current string or property name, escapes undone.</summary>
    /// <exception cref="System.Text.Json.JsonException">It escapes half of a surrogate pair.</exception>
    public readonly string GetString()
    {
        if (!ValueIsEscaped)
        {
            return Utf8Text.Decode(ValueSpan);
        }

        var buffer = ValueSpan.Length <= StackBytes ? stackalloc byte[StackBytes] : new byte[ValueSpan.Length];
        return Utf8Text.Decode(buffer[..Unescape(ValueSpan, buffer)]);
    }

    // Escaped values in the home's files are short (a path, a disclosure's sentence): they are undone on the stack.
    // The shared array pool is not used for the rest: its first use builds the pool and its event source, which
    // cost a run that reads one escaped string more than the string.
    private const int StackBytes = 512;

    /// <summary>Whether the current string or property name is <paramref name="utf8"/>, escapes undone.</summary>
    public readonly bool ValueTextEquals(ReadOnlySpan<byte> utf8)
    {
        if (!ValueIsEscaped)
        {
            return ValueSpan.SequenceEqual(utf8);
        }

        if (ValueSpan.Length < utf8.Length)
        {
            return false;
        }

        var buffer = ValueSpan.Length <= StackBytes ? stackalloc byte[StackBytes] : new byte[ValueSpan.Length];
        return buffer[..Unescape(ValueSpan, buffer)].SequenceEqual(utf8);
    }

    public readonly bool TryGetInt32(out int value)
    {
        value = 0;
        return TokenType == JsonToken.Number && Utf8Parser.TryParse(ValueSpan, out value, out var used) && used == ValueSpan.Length;
    }

    public readonly bool TryGetDecimal(out decimal value)
    {
        value = 0;
        return TokenType == JsonToken.Number && Utf8Parser.TryParse(ValueSpan, out value, out var used) && used == ValueSpan.Length;
    }

    public readonly bool TryGetDouble(out double value)
    {
        value = 0;
        return TokenType == JsonToken.Number && Utf8Parser.TryParse(ValueSpan, out value, out var used) && used == ValueSpan.Length;
    }

    /// <summary>A GUID written as 32 hexadecimal digits in groups with hyphens, the one form the files hold.</summary>
    public readonly bool TryGetGuid(out Guid value)
    {
        value = default;
        Span<byte> buffer = stackalloc byte[64];
        var text = TokenType == JsonToken.String && ValueSpan.Length <= buffer.Length ? Unescaped(buffer) : default;
        return text.Length == 36 && Utf8Parser.TryParse(text, out value, out _, 'D');
    }

    /// <summary>An ISO 8601 date and time, as <c>Utf8JsonReader</c> takes them (see <see cref="IsoDate"/>).</summary>
    public readonly bool TryGetDateTimeOffset(out DateTimeOffset value)
    {
        value = default;
        Span<byte> buffer = stackalloc byte[256];
        return TokenType == JsonToken.String && ValueSpan.Length <= buffer.Length && IsoDate.TryParse(Unescaped(buffer), out value);
    }

    // The current string with its escapes undone, in buffer when it has any (it is never longer than as written).
    private readonly ReadOnlySpan<byte> Unescaped(Span<byte> buffer) =>
        ValueIsEscaped ? buffer[..Unescape(ValueSpan, buffer)] : ValueSpan;

    // Undoes the escapes of a string scanned as valid (escapes complete, four hex digits after \u) into UTF-8.
    private static int Unescape(ReadOnlySpan<byte> escaped, Span<byte> into)
    {
        var written = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            var b = escaped[i];
            if (b != '\\')
            {
                into[written++] = b;
                continue;
            }

            b = escaped[++i];
            if (b != 'u')
            {
                into[written++] = b switch { (byte)'b' => 8, (byte)'f' => 12, (byte)'n' => 10, (byte)'r' => 13, (byte)'t' => 9, _ => b };
                continue;
            }

            int code = Hex(escaped.Slice(i + 1, 4));
            i += 4;
            if (char.IsHighSurrogate((char)code) && i + 6 < escaped.Length && escaped[i + 1] == '\\' && escaped[i + 2] == 'u'
                && Hex(escaped.Slice(i + 3, 4)) is var low && char.IsLowSurrogate((char)low))
            {
                code = char.ConvertToUtf32((char)code, (char)low);
                i += 6;
            }
            else if (char.IsSurrogate((char)code))
            {
                throw Malformed("A string escapes half of a surrogate pair.");
            }

            written += new Rune(code).EncodeToUtf8(into[written..]);
        }

        return written;
    }

    // Four hexadecimal digits the scan checked.
    private static int Hex(ReadOnlySpan<byte> digits) => Utf8Parser.TryParse(digits, out ushort value, out _, 'X') ? value : 0;
}
