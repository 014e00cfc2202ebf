using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Candor.Collector.Ingestion;

/// <summary>
/// Maps addresses to ISO 3166-1 alpha-2 country codes from a CSV file with one range per line:
/// <c>start_ip,end_ip,country</c> (for example <c>203.0.113.0,203.0.113.255,NZ</c> or
/// <c>2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,DE</c>). Both ends are inclusive; IPv4 and IPv6 ranges may
/// be mixed; blank lines, lines starting with <c>#</c> and a <c>start_ip,end_ip,country</c> header are skipped.
/// The file is read once at start; an error names the line.
/// </summary>
internal sealed partial class CountryDatabase
{
    private readonly UInt128[] _starts;
    private readonly UInt128[] _ends;
    private readonly string[] _countries;

    private CountryDatabase(List<(UInt128 Start, UInt128 End, string Country)> ranges)
    {
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        _starts = [.. ranges.Select(r => r.Start)];
        _ends = [.. ranges.Select(r => r.End)];
        _countries = [.. ranges.Select(r => r.Country)];
    }

    public static CountryDatabase Empty { get; } = new([]);

    public int Count => _starts.Length;

    /// <exception cref="FormatException">A line is not a valid range; the message names the file and line.</exception>
    public static CountryDatabase Load(string path)
    {
        var ranges = new List<(UInt128, UInt128, string)>();
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.Equals("start_ip,end_ip,country", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var parts = line.Split(',');
            if (parts.Length != 3
                || !IPAddress.TryParse(parts[0].Trim(), out var start)
                || !IPAddress.TryParse(parts[1].Trim(), out var end)
                || start.AddressFamily != end.AddressFamily
                || !CountryPattern().IsMatch(parts[2].Trim()))
            {
                throw new FormatException($"{path}, line {number.ToString(CultureInfo.InvariantCulture)}: expected 'start_ip,end_ip,country' with two addresses of one family and a two-letter country code, found '{raw}'");
            }

            var (from, to) = (ToNumber(start), ToNumber(end));
            if (from > to)
            {
                throw new FormatException($"{path}, line {number.ToString(CultureInfo.InvariantCulture)}: the range ends before it starts");
            }

            ranges.Add((from, to, parts[2].Trim().ToUpperInvariant()));
        }

        return new CountryDatabase(ranges);
    }

    /// <summary>The country of <paramref name="address"/>, or the empty string when no range holds it.</summary>
    public string Find(IPAddress address)
    {
        var value = ToNumber(address);
        int lo = 0, hi = _starts.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (_starts[mid] <= value)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found >= 0 && value <= _ends[found] ? _countries[found] : "";
    }

    // IPv4 lives in ::ffff:0:0/96, so one sorted table serves both families.
    private static UInt128 ToNumber(IPAddress address)
    {
        var bytes = (address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address).GetAddressBytes();
        UInt128 value = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    [GeneratedRegex("^[A-Za-z]{2}$")]
    private static partial Regex CountryPattern();
}
