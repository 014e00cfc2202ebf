using System.Globalization;
using System.Text;
using System.Text.Json;
using Candor.CommandLine.Inspection;
using Candor.Consent;
using Candor.Delivery;
using Candor.Protocol;

namespace Candor.CommandLine.Output;

/// <summary>How product states and events read, as text and as JSON, in every telemetry command.</summary>
internal static class Reports
{
    /// <summary>A level as users type it: <c>off</c>, <c>local</c>, <c>errors</c>, <c>all</c>.</summary>
    public static string Text(TelemetryLevel level) => TelemetryLevelText.ToText(level);

    /// <summary>A source as scripts read it: <c>product-default</c>, <c>do-not-track</c>, ...</summary>
    public static string Text(ConsentSource source)
    {
        var name = source.ToString();
        var kebab = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && kebab.Length > 0)
            {
                kebab.Append('-');
            }

            kebab.Append(char.ToLowerInvariant(c));
        }

        return kebab.ToString();
    }

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Level(CommandOutput output, TelemetryLevel level) =>
        level == TelemetryLevel.Off ? output.Notable(Text(level)) : output.Good(Text(level));

    /// <summary>A product's state as an indented block of labelled lines.</summary>
    public static void WriteStatus(CommandOutput output, ProductStatus status, string? settingsFile)
    {
        output.Line(status.Name == status.Product ? output.Strong(status.Product) : $"{output.Strong(status.Product)} ({status.Name})");
        if (status.Decision is { } decision)
        {
            output.Line($"  level    {Level(output, decision.Level)}");
            output.Line($"  why      {decision.Detail} {output.Dim($"({Text(decision.Source)})")}");
            if (status.NoticePending)
            {
                output.Line($"  notice   {output.Notable("not shown yet")}: the next run shows it and sends nothing; collection starts with the run after");
            }
        }
        else
        {
            output.Line($"  level    unknown: no run of {status.Product} has recorded its manifest on this machine");
        }

        if (status.Collector is { } collector)
        {
            output.Line($"  sends    {Sends(output, collector, status.Decision?.Level)}");
        }

        output.Line($"  choice   {(status.Choice is { } choice ? Text(choice) : "none")} {output.Dim($"(machine-wide: {(status.MachineChoice is { } machine ? Text(machine) : "none")})")}");
        output.Line($"  install  {(status.Identity is { } identity ? identity.Install.ToString() : "none (no ID on this machine)")}");
        output.Line($"  events   {status.Pending} waiting to be sent, {status.Sent} sent, {status.Local} kept locally");
        if (status.Directory is not null)
        {
            output.Line($"  files    {status.Directory}");
        }

        if (settingsFile is not null)
        {
            output.Line($"  settings {settingsFile}");
        }
    }

    /// <summary>
    /// Where a product's events go at its level now: nothing at <c>off</c> or <c>local</c> (the collector is named
    /// only as the build's), error events only at <c>errors</c>, and nothing from a build without a collector.
    /// </summary>
    private static string Sends(CommandOutput output, CollectorInfo collector, TelemetryLevel? level) =>
        (collector.Endpoint, level) switch
        {
            (null, _) => $"{output.Notable("nothing")}: this build has no collector (a source build); events are only printed or kept locally",
            (var endpoint, TelemetryLevel.Off) => $"{output.Notable("nothing")}: telemetry is off here (this build's collector is {endpoint})",
            (var endpoint, TelemetryLevel.Local) => $"{output.Notable("nothing")}: events are kept on this machine only (this build's collector is {endpoint})",
            (var endpoint, TelemetryLevel.Errors) => $"error events only, to {endpoint}",
            (var endpoint, _) => $"to {endpoint}",
        };

    /// <summary>A product's state as a JSON object.</summary>
    public static void WriteStatus(Utf8JsonWriter json, ProductStatus status)
    {
        json.WriteStartObject();
        json.WriteString("product", status.Product);
        json.WriteString("name", status.Name);
        WriteNullable(json, "level", status.Decision is { } decision ? Text(decision.Level) : null);
        WriteNullable(json, "source", status.Decision is { } d ? Text(d.Source) : null);
        WriteNullable(json, "detail", status.Decision?.Detail);
        json.WriteBoolean("noticePending", status.NoticePending);
        if (status.Collector is { } collector)
        {
            json.WriteStartObject("collector");
            WriteNullable(json, "endpoint", collector.Endpoint);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("collector");
        }

        WriteNullable(json, "choice", status.Choice is { } choice ? Text(choice) : null);
        WriteNullable(json, "machineChoice", status.MachineChoice is { } machine ? Text(machine) : null);
        WriteNullable(json, "install", status.Identity?.Install.ToString());
        WriteNullable(json, "directory", status.Directory);
        json.WriteStartObject("events");
        json.WriteNumber("pending", status.Pending);
        json.WriteNumber("sent", status.Sent);
        json.WriteNumber("local", status.Local);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// The home's files that Candor set aside or cannot use, one line each: what the file was, what is wrong with it
    /// and where it is now.
    /// </summary>
    public static void WriteFileIssues(CommandOutput output, IReadOnlyList<FileIssue> issues)
    {
        foreach (var issue in issues)
        {
            output.Line(issue.SetAside
                ? $"set aside     {issue.File}, which {issue.Problem}{(issue.At is { } at ? ", on " + Time(at) : "")}: now {issue.Path}"
                : $"cannot use    {output.Notable(issue.File)}, which {issue.Problem}: {issue.Path}");
        }
    }

    /// <summary>The same as a JSON array.</summary>
    public static void WriteFileIssues(Utf8JsonWriter json, IReadOnlyList<FileIssue> issues)
    {
        json.WriteStartArray();
        foreach (var issue in issues)
        {
            json.WriteStartObject();
            json.WriteString("file", issue.File);
            json.WriteString("problem", issue.Problem);
            json.WriteBoolean("setAside", issue.SetAside);
            json.WriteString("path", issue.Path);
            if (issue.At is { } at)
            {
                json.WriteString("at", at);
            }
            else
            {
                json.WriteNull("at");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Logged events: a heading line each, then the event's JSON exactly as it was sent or kept.</summary>
    public static void WriteEvents(CommandOutput output, string product, IReadOnlyList<LoggedEvent> events)
    {
        if (output.Json)
        {
            output.WriteJson(json =>
            {
                json.WriteStartArray();
                foreach (var e in events)
                {
                    json.WriteStartObject();
                    json.WriteString("product", product);
                    json.WriteString("at", e.At);
                    json.WriteString("state", e.State == EventState.Sent ? "sent" : "local");
                    json.WritePropertyName("event");
                    json.WriteRawValue(e.Json);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            });
            return;
        }

        foreach (var e in events)
        {
            var state = e.State == EventState.Sent ? "sent " : "local";
            output.Line($"{Time(e.At)}  {state}  {output.Strong(product)}  {EventName(e.Json)}");
            output.Line("  " + e.Json);
        }
    }

    /// <summary>Spooled events: a heading line each, then the event's JSON byte for byte as it will be sent.</summary>
    public static void WritePending(CommandOutput output, string product, IReadOnlyList<SpooledEvent> events)
    {
        if (output.Json)
        {
            output.WriteJson(json =>
            {
                json.WriteStartArray();
                foreach (var e in events)
                {
                    json.WriteStartObject();
                    json.WriteString("product", product);
                    json.WriteString("spooled", e.SpooledAt);
                    json.WritePropertyName("event");
                    json.WriteRawValue(e.Json);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            });
            return;
        }

        foreach (var e in events)
        {
            var text = Encoding.UTF8.GetString(e.Json);
            output.Line($"{Time(e.SpooledAt)}  {output.Strong(product)}  {EventName(text)}");
            output.Line("  " + text);
        }
    }

    public static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static string EventName(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty(WireNames.Name, out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()! : "?";
        }
        catch (JsonException)
        {
            return "?";
        }
    }
}
