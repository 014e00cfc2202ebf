using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Candor.Collector.Dashboard;

/// <summary>How the dashboard writes numbers: the same on every machine, whatever its culture.</summary>
internal static class Format
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Percent(double value) => value.ToString("P1", CultureInfo.InvariantCulture);

    public static string Milliseconds(double value) =>
        (value < 10 ? value.ToString("N1", CultureInfo.InvariantCulture) : value.ToString("N0", CultureInfo.InvariantCulture)) + " ms";

    public static string Cell(object value, Measure measure) => (value, measure) switch
    {
        (long n, Measure.Count) => Count(n),
        (double d, Measure.Percent) => Percent(d),
        (double d, Measure.Milliseconds) => Milliseconds(d),
        (double d, _) => d.ToString("N1", CultureInfo.InvariantCulture),
        (long n, _) => Count(n),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>
/// A section's chart as the page's script reads it from the canvas's <c>data-chart</c> attribute:
/// <c>{"kind": "line"|"column"|"bar", "measure": "count"|"percent"|"ms", "labels": [...], "series": [{"name", "values"}]}</c>.
/// </summary>
internal static class ChartJson
{
    public static string Of(Section section)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", section.Chart switch { ChartKind.Line => "line", ChartKind.Column => "column", _ => "bar" });
            json.WriteString("measure", section.ChartMeasure switch { Measure.Percent => "percent", Measure.Milliseconds => "ms", _ => "count" });
            json.WriteStartArray("labels");
            foreach (var label in section.Labels)
            {
                json.WriteStringValue(label);
            }

            json.WriteEndArray();
            json.WriteStartArray("series");
            foreach (var series in section.Series)
            {
                json.WriteStartObject();
                json.WriteString("name", series.Name);
                json.WriteStartArray("values");
                foreach (var value in series.Values)
                {
                    if (value is { } v)
                    {
                        json.WriteNumberValue(Math.Round(v, 6));
                    }
                    else
                    {
                        json.WriteNullValue();
                    }
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
