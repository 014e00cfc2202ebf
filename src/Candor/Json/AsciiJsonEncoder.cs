using System.Text.Encodings.Web;

namespace Candor.Json;

/// <summary>
/// The escaping every JSON the SDK writes uses: printable ASCII is written as it is, except <c>"</c> and <c>\</c>;
/// everything else is escaped the way JSON itself defines (<c>\n</c>, <c>\"</c>, <c>\u00e9</c>, a surrogate
/// pair for characters beyond the first plane), so the output is plain ASCII and any JSON reader reads back the
/// exact text.
/// </summary>
/// <remarks>
/// The encoders that come with the runtime build a table of every defined Unicode character, in vectorised code
/// the JIT compiles at run time: the first JSON written cost a run with telemetry on a few milliseconds (see
/// docs/benchmarks.md, "SDK: exit time"). None of the SDK's JSON is embedded in HTML, so none of it needs their
/// extra escaping either.
/// </remarks>
internal sealed class AsciiJsonEncoder : JavaScriptEncoder
{
    public static AsciiJsonEncoder Instance { get; } = new();

    private AsciiJsonEncoder()
    {
    }

    // A UTF-16 code unit becomes at most \uXXXX; a character beyond the first plane is two of them.
    public override int MaxOutputCharactersPerInputCharacter => 6;

    public override bool WillEncode(int unicodeScalar) => unicodeScalar is < 0x20 or > 0x7E or '"' or '\\';

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (var i = 0; i < textLength; i++)
        {
            if (WillEncode(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        // Every byte of a multi-byte sequence is above 0x7E, so the first byte to encode starts a whole character.
        for (var i = 0; i < utf8Text.Length; i++)
        {
            if (WillEncode(utf8Text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var escape = unicodeScalar switch
        {
            '"' => '"',
            '\\' => '\\',
            '\b' => 'b',
            '\f' => 'f',
            '\n' => 'n',
            '\r' => 'r',
            '\t' => 't',
            _ => '\0',
        };
        if (escape != '\0')
        {
            return TryWrite(buffer, bufferLength, ['\\', escape], out numberOfCharactersWritten);
        }

        if (!WillEncode(unicodeScalar))
        {
            return TryWrite(buffer, bufferLength, [(char)unicodeScalar], out numberOfCharactersWritten);
        }

        if (unicodeScalar <= char.MaxValue)
        {
            Span<char> one = stackalloc char[6];
            WriteUnicodeEscape((char)unicodeScalar, one);
            return TryWrite(buffer, bufferLength, one, out numberOfCharactersWritten);
        }

        Span<char> pair = stackalloc char[12];
        var high = (char)(((unicodeScalar - 0x10000) >> 10) + 0xD800);
        var low = (char)(((unicodeScalar - 0x10000) & 0x3FF) + 0xDC00);
        WriteUnicodeEscape(high, pair);
        WriteUnicodeEscape(low, pair[6..]);
        return TryWrite(buffer, bufferLength, pair, out numberOfCharactersWritten);
    }

    private static void WriteUnicodeEscape(char value, Span<char> destination)
    {
        const string Hex = "0123456789abcdef";
        destination[0] = '\\';
        destination[1] = 'u';
        destination[2] = Hex[value >> 12];
        destination[3] = Hex[(value >> 8) & 0xF];
        destination[4] = Hex[(value >> 4) & 0xF];
        destination[5] = Hex[value & 0xF];
    }

    private static unsafe bool TryWrite(char* buffer, int bufferLength, ReadOnlySpan<char> text, out int written)
    {
        if (text.Length > bufferLength)
        {
            written = 0;
            return false;
        }

        text.CopyTo(new Span<char>(buffer, bufferLength));
        written = text.Length;
        return true;
    }
}
