using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Candor.Manifest;

namespace Candor.Collector.Interop;

/// <summary>
/// Reads OTLP/HTTP JSON bodies, the protobuf JSON mapping as the OTLP specification constrains it: field names in
/// lowerCamelCase (the .proto's names are accepted too), 64-bit integers as strings or numbers, enums as integers,
/// trace and span IDs as hex (never read here). Only the fields a mapping uses are read; unknown fields are ignored.
/// </summary>
internal static class OtlpJsonReader
{
    /// <summary>The items of a logs or traces request, or throws <see cref="JsonException"/> or <see cref="FormatException"/> on a malformed body.</summary>
    public static List<ForeignItem> Read(ReadOnlyMemory<byte> body, ItemType type)
    {
        var items = new List<ForeignItem>();
        using var document = JsonDocument.Parse(body);
        var root = Object(document.RootElement);
        var (groups, scopes, records) = type == ItemType.Log
            ? ("resourceLogs", "scopeLogs", "logRecords")
            : ("resourceSpans", "scopeSpans", "spans");
        foreach (var group in Array(root, groups))
        {
            var resource = Member(Object(group), "resource") is { } r ? Object(r) : default;
            var context = OtlpContext.From(resource.ValueKind is JsonValueKind.Object ? Attributes(resource) : []);
            var resourceBytes = resource.ValueKind is JsonValueKind.Object ? JsonMarshal.GetRawUtf8Value(resource) : default;
            foreach (var scope in Array(group, scopes))
            {
                foreach (var record in Array(Object(scope), records))
                {
                    var item = type == ItemType.Log ? ReadLogRecord(Object(record), items.Count) : ReadSpan(Object(record), items.Count);
                    item.Context = context;
                    item.Digest = WireTranslator.Digest(resourceBytes, JsonMarshal.GetRawUtf8Value(record));
                    items.Add(item);
                }
            }
        }

        return items;
    }

    private static ForeignItem ReadLogRecord(JsonElement record, int position)
    {
        var item = new ForeignItem { Type = ItemType.Log, Position = position };
        item.Attributes.AddRange(Attributes(record));
        item.FreeText = Member(record, "body") is { ValueKind: not JsonValueKind.Null } ? 1 : 0;
        var time = Unsigned(record, "timeUnixNano");
        item.Time = OtlpContext.Time(time != 0 ? time : Unsigned(record, "observedTimeUnixNano"));
        item.Name = OtlpContext.LogName(Member(record, "eventName") is { ValueKind: JsonValueKind.String } name ? name.GetString() : null, item.Attributes);
        return item;
    }

    private static ForeignItem ReadSpan(JsonElement span, int position)
    {
        var item = new ForeignItem { Type = ItemType.Span, Position = position };
        item.Attributes.AddRange(Attributes(span));
        item.Name = Member(span, "name") is { ValueKind: JsonValueKind.String } name ? name.GetString() : null;
        var start = Unsigned(span, "startTimeUnixNano");
        var end = Unsigned(span, "endTimeUnixNano");
        item.Time = OtlpContext.Time(start);
        item.DurationMilliseconds = end >= start && start != 0 ? (end - start) / 1e6 : null;
        if (Member(span, "status") is { ValueKind: JsonValueKind.Object } status && Member(status, "code") is { } code)
        {
            item.Success = (code.ValueKind is JsonValueKind.Number ? code.GetInt32() : (int)Unsigned(status, "code")) switch { 2 => false, 1 => true, _ => null };
        }

        return item;
    }

    private static List<KeyValuePair<string, ForeignValue>> Attributes(JsonElement owner)
    {
        var attributes = new List<KeyValuePair<string, ForeignValue>>();
        foreach (var pair in Array(owner, "attributes"))
        {
            if (Member(Object(pair), "key") is { ValueKind: JsonValueKind.String } key)
            {
                attributes.Add(new(key.GetString()!, Member(pair, "value") is { ValueKind: JsonValueKind.Object } value ? Value(value, allowArray: true) : default));
            }
        }

        return attributes;
    }

    private static ForeignValue Value(JsonElement any, bool allowArray)
    {
        if (Member(any, "stringValue") is { ValueKind: JsonValueKind.String } text)
        {
            return ForeignValue.Of(text.GetString()!);
        }

        if (Member(any, "boolValue") is { ValueKind: JsonValueKind.True or JsonValueKind.False } flag)
        {
            return ForeignValue.Of(flag.GetBoolean());
        }

        if (Member(any, "intValue") is { } integer)
        {
            return ForeignValue.Of(integer.ValueKind is JsonValueKind.String
                ? long.Parse(integer.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
                : integer.GetInt64());
        }

        if (Member(any, "doubleValue") is { ValueKind: JsonValueKind.Number } number)
        {
            return ForeignValue.Of(number.GetDouble());
        }

        if (allowArray && Member(any, "arrayValue") is { ValueKind: JsonValueKind.Object } array)
        {
            return ForeignValue.Of(Array(array, "values").Select(v => Value(Object(v), allowArray: false).AsText()).OfType<string>().ToList());
        }

        return default;
    }

    private static ulong Unsigned(JsonElement owner, string name) => Member(owner, name) switch
    {
        { ValueKind: JsonValueKind.String } text => ulong.Parse(text.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture),
        { ValueKind: JsonValueKind.Number } number => number.GetUInt64(),
        _ => 0,
    };

    // An absent list reads as empty, which an ArrayEnumerator (of an array that exists) cannot be.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "An absent list is an empty sequence.")]
    private static IEnumerable<JsonElement> Array(JsonElement owner, string name) => Member(owner, name) switch
    {
        { ValueKind: JsonValueKind.Array } array => array.EnumerateArray(),
        null or { ValueKind: JsonValueKind.Null } => [],
        _ => throw new FormatException($"'{name}' must be an array"),
    };

    private static JsonElement Object(JsonElement element) =>
        element.ValueKind is JsonValueKind.Object ? element : throw new FormatException("expected an object");

    // The lowerCamelCase name, or the .proto's snake_case one, which the protobuf JSON mapping also accepts.
    private static JsonElement? Member(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var value) || owner.TryGetProperty(Snake(name), out value) ? value : null;

    private static string Snake(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));
}
