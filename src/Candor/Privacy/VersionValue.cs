using System.Text.RegularExpressions;

namespace Candor.Privacy;

/// <summary>
/// Normalises a version for the <c>version</c> kind: one to four numeric parts and an optional short
/// pre-release label; build metadata after '+' (often a commit or a machine's build number) is dropped.
/// Anything else is not a version and is refused, so the kind cannot smuggle free text.
/// </summary>
internal static partial class VersionValue
{
    public static string? Normalize(string value)
    {
        var plus = value.IndexOf('+', StringComparison.Ordinal);
        var core = plus >= 0 ? value[..plus] : value;
        return Pattern().IsMatch(core) ? core : null;
    }

    [GeneratedRegex(@"^[0-9]{1,9}(\.[0-9]{1,9}){0,3}(-[0-9A-Za-z]{1,20}(\.[0-9A-Za-z]{1,20}){0,3})?$")]
    private static partial Regex Pattern();
}
