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
            && !v.Equals("0", StringComparison.Ordinal)
            && !v.Equals("false", StringComparison.OrdinalIgnoreCase)
            && !v.Equals("no", StringComparison.OrdinalIgnoreCase)
            && !v.Equals("off", StringComparison.OrdinalIgnoreCase)
            && !v.Equals("n", StringComparison.OrdinalIgnoreCase);
    }
}
