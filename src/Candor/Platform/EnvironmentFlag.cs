namespace Candor.Platform;

/// <summary>
/// The one rule Candor uses for every on/off environment variable it reads (opt-out variables,
/// <c>DO_NOT_TRACK</c>, <c>CANDOR_TELEMETRY_DEBUG</c>, CI markers): a variable is set when its value,
/// trimmed, is non-empty and is not <c>0</c>, <c>false</c>, <c>no</c>, <c>off</c> or <c>n</c> (any case).
/// </summary>
internal static class EnvironmentFlag
{
    public static bool IsSet(string? value)
    {
        if (value is null)
        {
            return false;
        }

        var v = value.AsSpan().Trim();
        return !v.IsEmpty
            && !(v.Length == 1 && v[0] == '0')
            && !IsWord(v, "false")
            && !IsWord(v, "no")
            && !IsWord(v, "off")
            && !IsWord(v, "n");
    }

    // Whether text is the lower-case ASCII word in any case. A loop, not an ordinal comparison that ignores case, whose
    // first use took about half a millisecond of a short run on the benchmark machine.
    private static bool IsWord(ReadOnlySpan<char> text, string word)
    {
        if (text.Length != word.Length)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            // Setting bit 0x20 lowers an ASCII capital and changes no other character into a lower-case letter.
            if ((text[i] | 0x20) != word[i])
            {
                return false;
            }
        }

        return true;
    }
}
