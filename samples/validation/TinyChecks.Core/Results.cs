using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace TinyChecks;

/// <summary>What one check found.</summary>
public sealed class CheckResult
{
    internal CheckResult(string name, bool passed, string details)
    {
        Name = name;
        Passed = passed;
        Details = details;
    }

    /// <summary>The check's name.</summary>
    public string Name { get; }

    /// <summary>Whether the data passed the check.</summary>
    public bool Passed { get; }

    /// <summary>What the check found, for people.</summary>
    public string Details { get; }

    /// <summary>Writes the result as an HTML page, reporting <c>check-to-html</c>.</summary>
    public void SaveAsHtml(string path)
    {
        File.WriteAllText(path, $"<!doctype html><title>{WebUtility.HtmlEncode(Name)}</title>{Html()}");
        LibraryTelemetry.Track("check-to-html");
    }

    internal string Html() =>
        $"<section><h2>{WebUtility.HtmlEncode(Name)}: {(Passed ? "passed" : "failed")}</h2><p>{WebUtility.HtmlEncode(Details)}</p></section>";
}

/// <summary>What every check of a suite found.</summary>
public sealed class SuiteResult
{
    internal SuiteResult(string name, IReadOnlyList<CheckResult> results)
    {
        Name = name;
        Results = results;
    }

    /// <summary>The suite's name.</summary>
    public string Name { get; }

    /// <summary>Each check's result, in the suite's order.</summary>
    public IReadOnlyList<CheckResult> Results { get; }

    /// <summary>Writes the results as one HTML page, reporting <c>suite-to-html</c>.</summary>
    public void SaveAsHtml(string path)
    {
        File.WriteAllText(path, $"<!doctype html><title>{WebUtility.HtmlEncode(Name)}</title><h1>{WebUtility.HtmlEncode(Name)}</h1>{string.Concat(Results.Select(r => r.Html()))}");
        LibraryTelemetry.Track("suite-to-html");
    }

    /// <summary>The results as JSON, reporting <c>suite-to-json</c>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("suite", Name);
            json.WriteStartArray("results");
            foreach (var result in Results)
            {
                json.WriteStartObject();
                json.WriteString("check", result.Name);
                json.WriteBoolean("passed", result.Passed);
                json.WriteString("details", result.Details);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        LibraryTelemetry.Track("suite-to-json");
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Logs the results as a Weights &amp; Biases run in offline mode (a <c>wandb/offline-run-*</c> folder under
    /// <paramref name="directory"/> that <c>wandb sync</c> uploads), reporting <c>suite-to-wandb</c>.
    /// </summary>
    /// <returns>The run's folder.</returns>
    public string ToWandb(string directory)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"offline-run-{DateTime.UtcNow:yyyyMMdd_HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
        var run = Path.Combine(directory, "wandb", name, "files");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "wandb-summary.json"), ToJsonWithoutTracking());
        LibraryTelemetry.Track("suite-to-wandb");
        return Path.GetDirectoryName(run)!;
    }

    private string ToJsonWithoutTracking() =>
        "{" + string.Join(',', Results.Select(r => $"{JsonSerializer.Serialize(r.Name, TinyChecksJson.Default.String)}:{(r.Passed ? "true" : "false")}")) + "}";
}
