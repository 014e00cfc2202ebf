using System.Text;

namespace Candor.Json;

/// <summary>Reading the small UTF-8 files people may edit by hand, and the texts Candor reads at start.</summary>
internal static class Utf8Text
{
    // Texts Candor reads at start are widened on the stack up to this many bytes.
    private const int StackChars = 256;

    /// <summary>The bytes without a leading UTF-8 byte order mark, which Windows editors add and JSON readers refuse.</summary>
    public static ReadOnlySpan<byte> WithoutBom(byte[] bytes)
    {
        ReadOnlySpan<byte> span = bytes;
        return span.StartsWith("\uFEFF"u8) ? span[3..] : span;
    }

    /// <summary>
    /// <paramref name="utf8"/> as a string. ASCII text (the names, variables, keys and dates Candor reads at start) is
    /// widened by a loop; anything else goes through <see cref="Encoding.UTF8"/>. The first use of the runtime's
    /// vectorised transcoders took 3 to 5 ms of a short run on the benchmark machine, more than all else an off run
    /// does in Candor; decoding the manifest's head this way took about 1.5 ms off a run that the product's variable
    /// turns off (docs/benchmarks.md, "SDK: exit time").
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        var chars = utf8.Length <= StackChars ? stackalloc char[StackChars] : new char[utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b >= 0x80)
            {
                return Encoding.UTF8.GetString(utf8);
            }

            chars[i] = (char)b;
        }

        return new string(chars[..utf8.Length]);
    }
}
