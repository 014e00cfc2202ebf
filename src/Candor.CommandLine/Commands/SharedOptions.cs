using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Candor.Manifest;

namespace Candor.CommandLine.Commands;

/// <summary>Options that several telemetry commands share, with one spelling and one parser each.</summary>
internal static class SharedOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Write JSON for scripts instead of text." };

    /// <summary>
    /// <c>--since</c>: a date or time (<c>2025-06-01</c>, <c>2025-06-01T12:00:00Z</c>; UTC when no offset is
    /// given) or an age counted back from now (<c>30m</c>, <c>24h</c>, <c>7d</c>).
    /// </summary>
    public static Option<DateTimeOffset?> Since(TimeProvider time) => new("--since")
    {
        Description = "Only events from this time on: a date (2025-06-01), a UTC time (2025-06-01T12:00:00Z) or an age (30m, 24h, 7d).",
        HelpName = "when",
        CustomParser = result => ParseSince(result, time),
    };

    /// <summary><c>--product</c>: a product ID, checked, with the machine's products as completions.</summary>
    public static Option<string?> Product(string description, Func<IEnumerable<string>> known)
    {
        var option = new Option<string?>("--product", "-p") { Description = description, HelpName = "id" };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && !ManifestBuilder.IdPattern().IsMatch(value))
            {
                result.AddError($"'{value}' is not a product ID (lower-case letters, digits, '.', '_' and '-').");
            }
        });
        option.CompletionSources.Add(_ => known());
        return option;
    }

    private static DateTimeOffset? ParseSince(ArgumentResult result, TimeProvider time)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : "";
        if (text.Length >= 2 && char.IsAsciiLetter(text[^1])
            && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? age = char.ToLowerInvariant(text[^1]) switch
            {
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (age is { } span)
            {
                return time.GetUtcNow() - span;
            }
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        result.AddError($"'{text}' is not a time: give a date (2025-06-01), a UTC time (2025-06-01T12:00:00Z) or an age (30m, 24h, 7d).");
        return null;
    }
}
