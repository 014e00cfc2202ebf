using System.Text;

namespace Candor.Protocol;

/// <summary>
/// The one grammar of a version, used for the <c>version</c> kind and the context's <c>version</c>; its numeric
/// part is also the grammar of the context's <c>runtime</c> and of the number in <c>osVersion</c>.
/// </summary>
/// <remarks>
/// <para>
/// A canonical version is one to <see cref="MaxParts"/> numeric parts of one to <see cref="MaxDigits"/> digits each,
/// separated by dots, optionally followed by one pre-release label from <see cref="Labels"/>, itself optionally
/// followed by a dot and a number of one to <see cref="MaxDigits"/> digits:
/// <c>[0-9]{1,9}(\.[0-9]{1,9}){0,3}(-(alpha|beta|preview|rc)(\.[0-9]{1,9})?)?</c>. For example <c>1.2.3</c>,
/// <c>2024.11</c>, <c>1.2.3-beta</c>, <c>1.2.3-rc.1</c>, <c>10.0.100-preview.4</c>.
/// </para>
/// <para>
/// A pre-release label is where free text would go in a semantic version (<c>1.2.3-alice-laptop</c>), so only
/// the four common words are kept. The SDK cuts anything else (<see cref="Normalize"/>): build metadata after
/// <c>+</c> and any other label go, a label's number is kept (<c>-preview4</c>, <c>-Preview.4.24267.6</c> both
/// become <c>-preview.4</c>). The collector refuses a value that is not already canonical (<see cref="Check"/>).
/// </para>
/// </remarks>
internal static class VersionGrammar
{
    /// <summary>The most numeric parts a version has.</summary>
    public const int MaxParts = 4;

    /// <summary>The most digits of one numeric part, or of a label's number.</summary>
    public const int MaxDigits = 9;

    /// <summary>The pre-release labels a version may carry, in lower case.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["alpha", "beta", "preview", "rc"];

    /// <summary>What a canonical version looks like, for refusals and documentation.</summary>
    public const string Description = "1 to 4 numeric parts of 1-9 digits (1.2.3), optionally with -alpha, -beta, -preview or -rc and a number (1.2.3-rc.1)";

    /// <summary>
    /// The canonical version for <paramref name="raw"/>: its leading numeric parts and a recognised pre-release
    /// label; everything else is cut. Null when <paramref name="raw"/> does not begin with a number (after white space).
    /// </summary>
    public static string? Normalize(string? raw)
    {
        if (raw is null)
        {
            return null;
        }

        var text = raw.AsSpan().Trim();
        var numeric = NumericLength(text, MaxParts);
        if (numeric == 0)
        {
            return null;
        }

        var result = new StringBuilder(text.Length).Append(text[..numeric]);
        var rest = text[numeric..];
        if (rest.Length > 1 && rest[0] == '-')
        {
            AppendLabel(result, rest[1..]);
        }

        return result.ToString();
    }

    /// <summary>Null when <paramref name="value"/> is a canonical version, else why it is not.</summary>
    public static string? Check(string? value) =>
        value is not null && string.Equals(Normalize(value), value, StringComparison.Ordinal) ? null : $"must be a version: {Description}";

    /// <summary>
    /// The canonical numeric version for <paramref name="raw"/> (no label): its leading one to
    /// <paramref name="maxParts"/> numeric parts, or null when it does not begin with a digit.
    /// </summary>
    public static string? NormalizeNumeric(string? raw, int maxParts = MaxParts)
    {
        if (raw is null)
        {
            return null;
        }

        var text = raw.AsSpan().Trim();
        var length = NumericLength(text, maxParts);
        return length == 0 ? null : text[..length].ToString();
    }

    /// <summary>Null when <paramref name="value"/> is a canonical numeric version (no label), else why it is not.</summary>
    public static string? CheckNumeric(string? value, int maxParts = MaxParts) =>
        value is not null && value.Length > 0 && NumericLength(value, maxParts) == value.Length
            ? null
            : $"must be 1 to {maxParts} numeric parts of 1-9 digits separated by dots, such as 8.0.11";

    // The length of the leading "d{1,9}(.d{1,9}){0,maxParts-1}"; 0 when the text does not begin with one to nine digits.
    private static int NumericLength(ReadOnlySpan<char> text, int maxParts)
    {
        var end = 0;
        var parts = 0;
        var at = 0;
        while (parts < maxParts)
        {
            var digits = Digits(text[at..]);
            if (digits is 0 or > MaxDigits)
            {
                break;
            }

            end = at + digits;
            parts++;
            if (end >= text.Length || text[end] != '.')
            {
                break;
            }

            at = end + 1;
        }

        return end;
    }

    private static void AppendLabel(StringBuilder result, ReadOnlySpan<char> text)
    {
        var letters = 0;
        while (letters < text.Length && char.IsAsciiLetter(text[letters]))
        {
            letters++;
        }

        string? label = null;
        foreach (var known in Labels)
        {
            // Ascii, not OrdinalIgnoreCase: that loads ICU, which every run of the tool would pay for.
            if (letters == known.Length && Ascii.EqualsIgnoreCase(text[..letters], known))
            {
                label = known;
            }
        }

        if (label is null)
        {
            return;
        }

        result.Append('-').Append(label);
        var rest = text[letters..];
        if (rest.Length > 0 && rest[0] == '.')
        {
            rest = rest[1..];
        }

        var digits = Digits(rest);
        if (digits is > 0 and <= MaxDigits)
        {
            result.Append('.').Append(rest[..digits]);
        }
    }

    private static int Digits(ReadOnlySpan<char> text)
    {
        var count = 0;
        while (count < text.Length && char.IsAsciiDigit(text[count]))
        {
            count++;
        }

        return count;
    }
}
