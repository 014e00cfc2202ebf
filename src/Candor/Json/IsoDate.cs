namespace Candor.Json;

/// <summary>
/// Parses the ISO 8601 dates the home's files hold, as <c>Utf8JsonReader.TryGetDateTimeOffset</c> takes them:
/// <c>yyyy-MM-dd</c>, optionally <c>THH:mm</c>, <c>:ss</c> and a fraction of up to sixteen digits (past seven
/// dropped), then <c>Z</c>, <c>+HH</c>, <c>+HH:mm</c> (or <c>-</c>) or nothing for local time. Digit by digit:
/// the framework's format-driven parser costs its first caller milliseconds of setting up, every run.
/// </summary>
internal static class IsoDate
{
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 10 || !Digits(text, 0, 4, out var year) || text[4] != '-' || !Digits(text, 5, 2, out var month) || text[7] != '-' || !Digits(text, 8, 2, out var day))
        {
            return false;
        }

        int hour = 0, minute = 0, second = 0;
        long fraction = 0;
        var at = 10;
        if (text.Length > 10)
        {
            if (text[10] != 'T' || text.Length < 16 || !Digits(text, 11, 2, out hour) || text[13] != ':' || !Digits(text, 14, 2, out minute))
            {
                return false;
            }

            at = 16;
            if (at < text.Length && text[at] == ':')
            {
                if (!Digits(text, at + 1, 2, out second))
                {
                    return false;
                }

                at += 3;
                if (at < text.Length && text[at] == '.')
                {
                    at++;
                    var digits = 0;
                    while (at < text.Length && char.IsAsciiDigit((char)text[at]))
                    {
                        if (digits < 7)
                        {
                            fraction = (fraction * 10) + (text[at] - '0');
                        }

                        digits++;
                        at++;
                    }

                    // As the reader: a point may stand without digits, though not at the end.
                    if (digits > 16 || (digits == 0 && at == text.Length))
                    {
                        return false;
                    }

                    for (; digits < 7; digits++)
                    {
                        fraction *= 10;
                    }
                }
            }
        }

        TimeSpan? offset = null;
        if (at < text.Length)
        {
            var rest = text[at..];
            int offsetHours = 0, offsetMinutes = 0;
            if (rest is [(byte)'Z'])
            {
                offset = TimeSpan.Zero;
            }
            else if (at > 10 && rest.Length is 3 or 6 && rest[0] is (byte)'+' or (byte)'-' && Digits(rest, 1, 2, out offsetHours)
                && (rest.Length == 3 || (rest[3] == ':' && Digits(rest, 4, 2, out offsetMinutes))))
            {
                if (offsetHours > 14 || offsetMinutes > 59)
                {
                    return false;
                }

                offset = new TimeSpan(offsetHours, offsetMinutes, 0) * (rest[0] == '-' ? -1 : 1);
            }
            else
            {
                return false;
            }
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || year < 1 || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var time = new DateTime(year, month, day, hour, minute, second).AddTicks(fraction);
        try
        {
            value = offset is { } known ? new DateTimeOffset(time, known) : new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Local));
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            // The offset takes the time outside what a DateTimeOffset holds (year 1 or 9999 at their edges).
            return false;
        }
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        if (start + count > text.Length)
        {
            return false;
        }

        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit((char)text[i]))
            {
                return false;
            }

            value = (value * 10) + (text[i] - '0');
        }

        return true;
    }
}
