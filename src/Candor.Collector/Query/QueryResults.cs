using System.Globalization;
using System.Text;

namespace Candor.Collector.Query;

/// <summary>A query's answer: the rows that passed the low-count filter, with noisy counts, and how many groups were hidden.</summary>
/// <param name="Product">The product queried.</param>
/// <param name="From">The first day (UTC) included.</param>
/// <param name="To">The last day (UTC) included.</param>
/// <param name="K">The product's threshold: a group is shown when its distinct installs reach k plus a little sticky noise.</param>
/// <param name="Suppressed">How many groups were hidden by that filter.</param>
/// <param name="Rows">The groups shown.</param>
/// <param name="Noise">The noise the counts carry (see docs/privacy-model.md); <see langword="null"/> for the exact raw export.</param>
internal sealed record QueryResult<T>(string Product, DateOnly From, DateOnly To, int K, int Suppressed, IReadOnlyList<T> Rows, NoiseDescription? Noise);

/// <summary>A row that can be written as one CSV line.</summary>
internal interface ICsvRow
{
    IEnumerable<string> CsvValues();
}

/// <summary>Events and distinct installs in one period.</summary>
internal sealed record PeriodRow(DateOnly Period, long Events, long Installs) : ICsvRow
{
    public IEnumerable<string> CsvValues() => [Csv.Date(Period), Csv.Number(Events), Csv.Number(Installs)];
}

/// <summary>Distinct installs in one period.</summary>
internal sealed record InstallRow(DateOnly Period, long Installs) : ICsvRow
{
    public IEnumerable<string> CsvValues() => [Csv.Date(Period), Csv.Number(Installs)];
}

/// <summary>Events and distinct installs for one value.</summary>
internal sealed record GroupRow(string Value, long Events, long Installs) : ICsvRow
{
    public IEnumerable<string> CsvValues() => [Value, Csv.Number(Events), Csv.Number(Installs)];
}

/// <summary>An exception signature, how often it was sent and by how many installs.</summary>
internal sealed record SignatureRow(string Signature, long Events, long Installs) : ICsvRow
{
    public IEnumerable<string> CsvValues() => [Signature, Csv.Number(Events), Csv.Number(Installs)];
}

/// <summary>The share of distinct installs that had one value.</summary>
internal sealed record ShareRow(string Value, long Installs, double Share) : ICsvRow
{
    public IEnumerable<string> CsvValues() => [Value, Csv.Number(Installs), Csv.Number(Share)];
}

/// <summary>
/// How often one event happened relative to another, in one group (the whole range when not grouped). The numerator
/// and the rate are null when the numerator's installs do not pass the low-count filter, which includes nobody at all
/// under a threshold above 1: a hidden numerator is "few or none", never told apart.
/// </summary>
internal sealed record RatioRow(string Group, long? Numerator, long Denominator, double? Rate) : ICsvRow
{
    public IEnumerable<string> CsvValues() =>
        [Group, Numerator is { } n ? Csv.Number(n) : "", Csv.Number(Denominator), Rate is { } rate ? Csv.Number(rate) : ""];
}

/// <summary>
/// Duration percentiles in one period, in milliseconds, read from noisy bucket counts (each bucket within 1% of
/// the durations in it) and never from the slowest few durations of the period (see <see cref="FigureNoise.Tail"/>).
/// </summary>
internal sealed record DurationRow(DateOnly Period, long Count, double P50, double P90, double P99) : ICsvRow
{
    public IEnumerable<string> CsvValues() => [Csv.Date(Period), Csv.Number(Count), Csv.Number(P50), Csv.Number(P90), Csv.Number(P99)];
}

/// <summary>
/// A raw event, for export: everything the collector stores about it, so what the raw query shows is exactly what
/// is kept (the whole context, the country and never an address). Beside the events the collector keeps only each
/// install's deletion verifier, a hash that proves nothing about the install and is not exported.
/// </summary>
internal sealed record RawRow(
    Guid Id, string Event, int Revision, DateTimeOffset Time, Guid Install, string Version, string Os, string Runtime, string Ci, string Country,
    IReadOnlyDictionary<string, object> Properties, IReadOnlyDictionary<string, double> Measurements,
    string OsVersion, string Arch, string Host, bool Container, bool Wsl, bool Interactive) : ICsvRow
{
    // The columns added after the first release of the export come last, so CSV readers that index columns keep working.
    public IEnumerable<string> CsvValues() =>
    [
        Id.ToString(), Event, Csv.Number(Revision), Time.ToString("O", CultureInfo.InvariantCulture), Install.ToString(), Version, Os, Runtime, Ci, Country,
        string.Join(";", Properties.Select(p => p.Key + "=" + (p.Value is string[] list ? string.Join("|", list) : Convert.ToString(p.Value, CultureInfo.InvariantCulture)))),
        string.Join(";", Measurements.Select(m => m.Key + "=" + Csv.Number(m.Value))),
        OsVersion, Arch, Host, Csv.Bool(Container), Csv.Bool(Wsl), Csv.Bool(Interactive),
    ];
}

/// <summary>Writes JSON or CSV, whichever the client asked for (<c>?format=csv</c> or <c>Accept: text/csv</c>).</summary>
internal static class Csv
{
    public static bool Wanted(HttpRequest request, string? format) =>
        string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)
        || (format is null && request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase));

    public static IResult Respond<T>(HttpRequest request, string? format, QueryResult<T> result, params string[] header)
        where T : ICsvRow
    {
        if (!Wanted(request, format))
        {
            return TypedResults.Ok(result);
        }

        var text = new StringBuilder();
        text.AppendJoin(',', header).Append('\n');
        foreach (var row in result.Rows)
        {
            text.AppendJoin(',', row.CsvValues().Select(Escape)).Append('\n');
        }

        request.HttpContext.Response.Headers["X-Candor-Suppressed"] = Number(result.Suppressed);
        return TypedResults.Text(text.ToString(), "text/csv; charset=utf-8");
    }

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";

    public static string Number(double value) => Math.Round(value, 6).ToString("R", CultureInfo.InvariantCulture);

    // Quotes what CSV needs quoted, and defuses cells a spreadsheet would run as a formula.
    private static string Escape(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
