using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Candor.Manifest;

namespace Candor.Collector.Interop;

/// <summary>One envelope that could not be read, by its position.</summary>
internal sealed record UnreadEnvelope(int Index, string Detail);

/// <summary>
/// Reads the body Application Insights clients post to <c>/v2/track</c> and <c>/v2.1/track</c>: a JSON array of
/// envelopes, or one envelope per line. Of each envelope it reads the instrumentation key, the time, the context
/// tags, and from <c>data.baseData</c> the name, <c>properties</c> (custom dimensions), <c>measurements</c> (custom
/// measurements), a request's or dependency's duration and success, and an exception's type and frame names. Free
/// text (messages, URLs, a dependency's command, a stack's text lines beyond their method names) is only counted.
/// </summary>
internal static class ApplicationInsightsReader
{
    /// <summary>The envelopes' instrumentation keys, items and unreadable envelopes; throws <see cref="JsonException"/> when the body is neither shape.</summary>
    public static (List<string?> Keys, List<ForeignItem> Items, List<UnreadEnvelope> Unread) Read(ReadOnlyMemory<byte> body)
    {
        var keys = new List<string?>();
        var items = new List<ForeignItem>();
        var unread = new List<UnreadEnvelope>();
        foreach (var (index, envelope) in Envelopes(body))
        {
            if (envelope.ValueKind is not JsonValueKind.Object)
            {
                keys.Add(null);
                unread.Add(new UnreadEnvelope(index, "the envelope is not a JSON object"));
                continue;
            }

            keys.Add(Text(envelope, "iKey"));
            try
            {
                if (Read(envelope, index) is { } item)
                {
                    items.Add(item);
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException)
            {
                unread.Add(new UnreadEnvelope(index, "the envelope does not have the Application Insights shape"));
            }
        }

        return (keys, items, unread);
    }

    // A JSON array, or newline-delimited JSON (the SDK's application/x-json-stream). Each envelope of NDJSON is parsed
    // on its own, so one bad line is one refused item.
    private static IEnumerable<(int Index, JsonElement Envelope)> Envelopes(ReadOnlyMemory<byte> body)
    {
        var span = body.Span.TrimStart(" \t\r\n"u8);
        if (span.Length > 0 && span[0] == (byte)'[')
        {
            var document = JsonDocument.Parse(body);
            var index = 0;
            foreach (var envelope in document.RootElement.EnumerateArray())
            {
                yield return (index++, envelope.Clone());
            }

            document.Dispose();
            yield break;
        }

        var position = 0;
        var line = 0;
        while (position < body.Length)
        {
            var rest = body[position..];
            var end = rest.Span.IndexOf((byte)'\n');
            var text = end < 0 ? rest : rest[..end];
            position += end < 0 ? rest.Length : end + 1;
            if (text.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            JsonElement envelope;
            try
            {
                using var document = JsonDocument.Parse(text);
                envelope = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                envelope = default;
            }

            yield return (line++, envelope);
        }
    }

    private static ForeignItem? Read(JsonElement envelope, int index)
    {
        var data = Member(envelope, "data");
        var baseType = data is { } d ? Text(d, "baseType") : null;
        var type = baseType switch
        {
            "EventData" => ItemType.Event,
            "RequestData" => ItemType.Request,
            "RemoteDependencyData" => ItemType.Dependency,
            "ExceptionData" => ItemType.Exception,
            _ => (ItemType?)null,
        };

        var baseData = data is { } e ? Member(e, "baseData") : null;
        var item = new ForeignItem { Type = type ?? ItemType.Event, Position = index };
        item.Digest = WireTranslator.Digest("applicationinsights"u8, JsonMarshal.GetRawUtf8Value(envelope));
        item.Time = Text(envelope, "time") is { } time ? DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;
        item.Context = Context(envelope);
        if (baseData is not { ValueKind: JsonValueKind.Object } b)
        {
            return Unmapped(item);
        }

        item.Name = Text(b, "name");
        if (Member(b, "properties") is { ValueKind: JsonValueKind.Object } properties)
        {
            foreach (var property in properties.EnumerateObject())
            {
                item.Attributes.Add(new(property.Name, property.Value.ValueKind is JsonValueKind.String ? ForeignValue.Of(property.Value.GetString()!) : default));
            }
        }

        if (Member(b, "measurements") is { ValueKind: JsonValueKind.Object } measurements)
        {
            foreach (var measurement in measurements.EnumerateObject())
            {
                item.Attributes.Add(new(measurement.Name, measurement.Value.ValueKind is JsonValueKind.Number ? ForeignValue.Of(measurement.Value.GetDouble()) : default));
            }
        }

        // Free text these types carry: a trace's message, a request's URL, a dependency's command and target.
        foreach (var free in (ReadOnlySpan<string>)["message", "url", "data", "target"])
        {
            item.FreeText += Member(b, free) is { ValueKind: JsonValueKind.String } ? 1 : 0;
        }

        if (type is ItemType.Request or ItemType.Dependency)
        {
            item.DurationMilliseconds = Text(b, "duration") is { } duration && TimeSpan.TryParse(duration, CultureInfo.InvariantCulture, out var span) ? span.TotalMilliseconds : null;
            item.Success = Member(b, "success") switch
            {
                { ValueKind: JsonValueKind.True } => true,
                { ValueKind: JsonValueKind.False } => false,
                { ValueKind: JsonValueKind.String } s => bool.TryParse(s.GetString(), out var parsed) ? parsed : null,
                _ => null,
            };
        }

        if (type is ItemType.Exception)
        {
            ReadExceptions(b, item);
        }

        return type is null ? Unmapped(item) : item;
    }

    // An envelope of a type no rule can map (a trace, a metric, a page view) still counts as received. It is read as an
    // event without a name, which no rule maps: event rules always name their event.
    private static ForeignItem Unmapped(ForeignItem item)
    {
        item.Name = null;
        return item;
    }

    // ExceptionData.exceptions: outermost first; each has a typeName, a message (never read) and either parsedStack
    // (method per frame, innermost first) or stack (the text of Exception.StackTrace, of which only "at Method(" is read).
    private static void ReadExceptions(JsonElement baseData, ForeignItem item)
    {
        if (Member(baseData, "exceptions") is not { ValueKind: JsonValueKind.Array } exceptions)
        {
            return;
        }

        var first = true;
        foreach (var exception in exceptions.EnumerateArray())
        {
            item.ExceptionTypes.Add(Text(exception, "typeName"));
            item.FreeText += Member(exception, "message") is { ValueKind: JsonValueKind.String } ? 1 : 0;
            if (!first)
            {
                continue;
            }

            first = false;
            if (Member(exception, "parsedStack") is { ValueKind: JsonValueKind.Array } parsed)
            {
                item.Frames.AddRange(parsed.EnumerateArray().Select(frame => Text(frame, "method")));
            }
            else if (Text(exception, "stack") is { } stack)
            {
                item.Frames.AddRange(StackLines(stack));
            }
        }
    }

    // "   at Namespace.Type.Method(Args) in /path/file.cs:line 12": the method's name only, never the path.
    private static IEnumerable<string?> StackLines(string stack)
    {
        foreach (var line in stack.Split('\n'))
        {
            var text = line.Trim();
            if (text.StartsWith("at ", StringComparison.Ordinal))
            {
                var open = text.IndexOf('(', StringComparison.Ordinal);
                yield return open > 3 ? text[3..open] : null;
            }
        }
    }

    private static ForeignContext Context(JsonElement envelope)
    {
        var tags = new List<KeyValuePair<string, ForeignValue>>();
        if (Member(envelope, "tags") is { ValueKind: JsonValueKind.Object } members)
        {
            foreach (var tag in members.EnumerateObject())
            {
                if (tag.Value.ValueKind is JsonValueKind.String)
                {
                    tags.Add(new(tag.Name, ForeignValue.Of(tag.Value.GetString()!)));
                }
            }
        }

        var context = ForeignContext.Empty with { Resource = tags };
        var os = context.Attribute("ai.device.osVersion");
        return context with { Version = context.Attribute("ai.application.ver"), Os = context.Attribute("ai.device.os") ?? os, OsVersion = os };
    }

    private static JsonElement? Member(JsonElement owner, string name) =>
        owner.ValueKind is JsonValueKind.Object && owner.TryGetProperty(name, out var value) ? value : null;

    private static string? Text(JsonElement owner, string name) =>
        Member(owner, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}
