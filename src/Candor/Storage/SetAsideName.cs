using System.Globalization;

namespace Candor.Storage;

/// <summary>
/// How a file of the Candor home that Candor cannot use is set aside: renamed next to where it was, to
/// <c>{name}.corrupt-{UTC time}-{4 hex digits}</c> (<c>settings.json.corrupt-20250601T120000123Z-3fa2</c>), so it is
/// out of every reader's way, still there for a person to look at, and found by <c>candor status</c>. Only the
/// newest <see cref="Copies"/> copies of one path are kept.
/// </summary>
internal static class SetAsideName
{
    /// <summary>What follows the original name.</summary>
    public const string Marker = ".corrupt-";

    /// <summary>How many set-aside copies of one path are kept; older ones are deleted.</summary>
    public const int Copies = 5;

    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    /// <summary>The name <paramref name="path"/> is set aside under at <paramref name="time"/>.</summary>
    public static string For(string path, DateTimeOffset time) =>
        path + Marker + time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) + "-" + Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);

    /// <summary>The pattern that lists the set-aside copies of <paramref name="name"/> (or of every file, for <c>*</c>).</summary>
    public static string Pattern(string name) => name + Marker + "*";

    /// <summary>Splits a set-aside copy's name into the original name and the time it was set aside.</summary>
    public static bool TryParse(string setAside, out string original, out DateTimeOffset time)
    {
        original = "";
        time = default;
        var name = Path.GetFileName(setAside);
        var marker = name.LastIndexOf(Marker, StringComparison.Ordinal);
        if (marker <= 0)
        {
            return false;
        }

        var stamp = name[(marker + Marker.Length)..];
        var dash = stamp.IndexOf('-', StringComparison.Ordinal);
        if (!DateTime.TryParseExact(dash < 0 ? stamp : stamp[..dash], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc))
        {
            return false;
        }

        original = name[..marker];
        time = new DateTimeOffset(utc, TimeSpan.Zero);
        return true;
    }
}
