using System.Globalization;
using Candor.Collector.Query;
using Microsoft.AspNetCore.WebUtilities;

namespace Candor.Collector.Dashboard;

/// <summary>
/// The range and filters of a product page. They live in the address (the query API's own parameter names:
/// <c>from</c>, <c>to</c>, <c>version</c>, <c>os</c>, <c>ci</c>), so a view can be shared by copying the link.
/// </summary>
internal sealed record DashboardFilter(DateOnly From, DateOnly To, string? Version = null, string? Os = null, bool? Ci = null)
{
    /// <summary>The last 30 days, today included, with no filter.</summary>
    public static DashboardFilter Default(DateOnly today) => new(today.AddDays(-(QueryService.DefaultDays - 1)), today);

    /// <summary>Reads the filter from a query string; what cannot be read falls back to the default and is described in <paramref name="problems"/>.</summary>
    public static DashboardFilter Parse(IQueryCollection query, DateOnly today, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        var to = ParseDay(query["to"], "end", found) ?? today;
        var from = ParseDay(query["from"], "start", found) ?? to.AddDays(-(QueryService.DefaultDays - 1));
        if (from > to)
        {
            found.Add("The start date is after the end date, so the page shows the 30 days up to the end date.");
            from = to.AddDays(-(QueryService.DefaultDays - 1));
        }
        else if (to.DayNumber - from.DayNumber > QueryService.MaxDays)
        {
            found.Add($"A range can cover at most {QueryService.MaxDays} days, so the page starts {QueryService.MaxDays} days before the end date.");
            from = to.AddDays(-QueryService.MaxDays);
        }

        bool? ci = query["ci"].ToString() switch
        {
            "true" => true,
            "false" => false,
            "" => null,
            _ => Problem(found, "The CI filter must be 'true' or 'false', so the page shows every run."),
        };
        problems = found;
        return new DashboardFilter(from, to, Text(query["version"]), Text(query["os"]), ci);
    }

    /// <summary>The query API's arguments for this filter.</summary>
    public QueryArguments Arguments(string product) => new(product, From, To, Version: Version, Os: Os, Ci: Ci);

    /// <summary>Whether this is the page's default view (the last 30 days, no filter).</summary>
    public bool IsDefault(DateOnly today) => this == Default(today);

    /// <summary>The query string of this filter, for links that keep it.</summary>
    public string ToQueryString()
    {
        var parameters = new Dictionary<string, string?>
        {
            ["from"] = Day(From),
            ["to"] = Day(To),
            ["version"] = Version,
            ["os"] = Os,
            ["ci"] = Ci switch { true => "true", false => "false", null => null },
        };
        return QueryHelpers.AddQueryString("", parameters.Where(p => p.Value is not null));
    }

    /// <summary>A day as the address and the date inputs write it.</summary>
    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly? ParseDay(string? text, string which, List<string> problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        problems.Add($"The {which} date '{text}' is not a date like 2026-03-31, so the page uses the default.");
        return null;
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool? Problem(List<string> problems, string problem)
    {
        problems.Add(problem);
        return null;
    }
}
