using System.Text;
using System.Text.Json;
using Candor.Json;

namespace Candor.Manifest;

/// <summary>
/// Reads a manifest file into a <see cref="ManifestDocument"/> with <see cref="Utf8JsonReader"/> directly. Every
/// run reads the manifest, telemetry off included, and <c>JsonSerializer</c> built its metadata for the document's
/// types on first use, in generic framework code that ReadyToRun cannot precompile (see <see cref="JsonValues"/>):
/// about 170 methods compiled by the JIT before a tool could even learn that telemetry was off.
/// </summary>
/// <remarks>
/// The rules are the serializer's as the manifest used it: camel-case member names, matched exactly; <c>$schema</c>
/// allowed; comments and trailing commas allowed; an unknown member, a value of the wrong type or malformed JSON
/// fails the whole manifest, and the message says where (JSON path, line and column). Only the shape is checked
/// here: <see cref="ManifestBuilder"/> checks what the values mean.
/// </remarks>
internal ref struct ManifestJson
{
    private const string ManifestMembers = "$schema, product, name, revision, consent, disclosure, optOut, retentionMonths, machineHash, ci, contact, neverCollected, namespaces, events, mappings";
    private const string MappingsMembers = "otlp, applicationInsights";
    private const string DoorMembers = "install, logs, spans, events, requests, dependencies, exceptions";
    private const string RuleMembers = "name, event, fields, duration, success, stack";
    private const string DisclosureMembers = "version, text";
    private const string OptOutMembers = "environmentVariables, flags";
    private const string EventMembers = "name, description, purpose, level, properties, measurements";
    private const string FieldMembers = "name, kind, description, values, unit, minimum, maximum, boundaries, allow, item, maxItems";

    private readonly ReadOnlySpan<byte> _json;
    private Utf8JsonReader _reader;

    private ManifestJson(ReadOnlySpan<byte> json)
    {
        _json = json;
        _reader = new Utf8JsonReader(json, JsonValues.HandEdited);
    }

    /// <summary>The manifest file as written, or null when it holds JSON <c>null</c>.</summary>
    /// <exception cref="ManifestException">The text is not JSON, or its shape is not a manifest's; the message says where.</exception>
    public static ManifestDocument? Read(ReadOnlySpan<byte> json)
    {
        var reader = new ManifestJson(json);
        try
        {
            return reader.ReadRoot();
        }
        catch (JsonException ex)
        {
            // Only the reader throws JsonException here (malformed JSON): it knows the line and the byte in it.
            var line = (int)(ex.LineNumber ?? 0);
            var offset = JsonLocation.OffsetOf(json, line, (int)(ex.BytePositionInLine ?? 0));
            throw new ManifestException($"not valid manifest JSON at {JsonLocation.Describe(json, offset, untilFailure: true)}: {WithoutPosition(ex.Message)}", ex);
        }
    }

    private ManifestDocument? ReadRoot()
    {
        if (!_reader.Read())
        {
            throw Problem(0, "the manifest is empty");
        }

        ManifestDocument? document = null;
        if (_reader.TokenType != JsonTokenType.Null)
        {
            document = ReadManifest();
        }

        if (_reader.Read())
        {
            throw Problem(_reader.TokenStartIndex, $"found {Found(_reader.TokenType)} after the end of the manifest");
        }

        return document;
    }

    private ManifestDocument ReadManifest()
    {
        ExpectObject();
        var d = new ManifestDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            if (IsMember("$schema"u8))
            {
                d.Schema = NullableString();
            }
            else if (IsMember("product"u8))
            {
                d.Product = NullableString();
            }
            else if (IsMember("name"u8))
            {
                d.Name = NullableString();
            }
            else if (IsMember("revision"u8))
            {
                d.Revision = Int32();
            }
            else if (IsMember("consent"u8))
            {
                d.Consent = NullableString();
            }
            else if (IsMember("disclosure"u8))
            {
                d.Disclosure = IsNull() ? null : ReadDisclosure();
            }
            else if (IsMember("optOut"u8))
            {
                d.OptOut = IsNull() ? null : ReadOptOut();
            }
            else if (IsMember("retentionMonths"u8))
            {
                d.RetentionMonths = IsNull() ? null : Int32();
            }
            else if (IsMember("machineHash"u8))
            {
                // Once asked for a hash of the MAC address in every event. Candor sends nothing derived from
                // hardware any more; the member is still read so that manifests written for it (and the revisions a
                // collector keeps) stay valid, and it changes nothing.
                Boolean();
            }
            else if (IsMember("ci"u8))
            {
                d.Ci = NullableString();
            }
            else if (IsMember("contact"u8))
            {
                d.Contact = NullableString();
            }
            else if (IsMember("neverCollected"u8))
            {
                d.NeverCollected = NullableStrings();
            }
            else if (IsMember("namespaces"u8))
            {
                d.Namespaces = NullableStrings();
            }
            else if (IsMember("events"u8))
            {
                d.Events = ReadEvents();
            }
            else if (IsMember("mappings"u8))
            {
                d.Mappings = IsNull() ? null : ReadMappings();
            }
            else
            {
                throw Unknown(ManifestMembers);
            }
        }

        return d;
    }

    private DisclosureDocument ReadDisclosure()
    {
        ExpectObject();
        var disclosure = new DisclosureDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            if (IsMember("version"u8))
            {
                disclosure.Version = Int32();
            }
            else if (IsMember("text"u8))
            {
                disclosure.Text = NullableString();
            }
            else
            {
                throw Unknown(DisclosureMembers);
            }
        }

        return disclosure;
    }

    private OptOutDocument ReadOptOut()
    {
        ExpectObject();
        var optOut = new OptOutDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            if (IsMember("environmentVariables"u8))
            {
                optOut.EnvironmentVariables = NullableStrings();
            }
            else if (IsMember("flags"u8))
            {
                optOut.Flags = NullableStrings();
            }
            else
            {
                throw Unknown(OptOutMembers);
            }
        }

        return optOut;
    }

    private List<EventDocument>? ReadEvents()
    {
        if (IsNull())
        {
            return null;
        }

        ExpectArray();
        var events = new List<EventDocument>();
        while (NextItem())
        {
            events.Add(ReadEvent());
        }

        return events;
    }

    private EventDocument ReadEvent()
    {
        ExpectObject();
        var e = new EventDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            if (IsMember("name"u8))
            {
                e.Name = NullableString();
            }
            else if (IsMember("description"u8))
            {
                e.Description = NullableString();
            }
            else if (IsMember("purpose"u8))
            {
                e.Purpose = NullableString();
            }
            else if (IsMember("level"u8))
            {
                e.Level = NullableString();
            }
            else if (IsMember("properties"u8))
            {
                e.Properties = ReadFields();
            }
            else if (IsMember("measurements"u8))
            {
                e.Measurements = ReadFields();
            }
            else
            {
                throw Unknown(EventMembers);
            }
        }

        return e;
    }

    private List<FieldDocument>? ReadFields()
    {
        if (IsNull())
        {
            return null;
        }

        ExpectArray();
        var fields = new List<FieldDocument>();
        while (NextItem())
        {
            fields.Add(ReadField());
        }

        return fields;
    }

    private FieldDocument ReadField()
    {
        ExpectObject();
        var f = new FieldDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            if (IsMember("name"u8))
            {
                f.Name = NullableString();
            }
            else if (IsMember("kind"u8))
            {
                f.Kind = NullableString();
            }
            else if (IsMember("description"u8))
            {
                f.Description = NullableString();
            }
            else if (IsMember("values"u8))
            {
                f.Values = NullableStrings();
            }
            else if (IsMember("unit"u8))
            {
                f.Unit = NullableString();
            }
            else if (IsMember("minimum"u8))
            {
                f.Minimum = IsNull() ? null : Double();
            }
            else if (IsMember("maximum"u8))
            {
                f.Maximum = IsNull() ? null : Double();
            }
            else if (IsMember("boundaries"u8))
            {
                f.Boundaries = NullableDoubles();
            }
            else if (IsMember("allow"u8))
            {
                f.Allow = NullableStrings();
            }
            else if (IsMember("item"u8))
            {
                f.Item = IsNull() ? null : ReadField();
            }
            else if (IsMember("maxItems"u8))
            {
                f.MaxItems = IsNull() ? null : Int32();
            }
            else
            {
                throw Unknown(FieldMembers);
            }
        }

        return f;
    }

    private MappingsDocument ReadMappings()
    {
        ExpectObject();
        var mappings = new MappingsDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            if (IsMember("otlp"u8))
            {
                mappings.Otlp = IsNull() ? null : ReadDoor();
            }
            else if (IsMember("applicationInsights"u8))
            {
                mappings.ApplicationInsights = IsNull() ? null : ReadDoor();
            }
            else
            {
                throw Unknown(MappingsMembers);
            }
        }

        return mappings;
    }

    private DoorDocument ReadDoor()
    {
        ExpectObject();
        var door = new DoorDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            ItemType type;
            if (IsMember("install"u8))
            {
                door.Install = NullableString();
                continue;
            }
            else if (IsMember("logs"u8))
            {
                type = ItemType.Log;
            }
            else if (IsMember("spans"u8))
            {
                type = ItemType.Span;
            }
            else if (IsMember("events"u8))
            {
                type = ItemType.Event;
            }
            else if (IsMember("requests"u8))
            {
                type = ItemType.Request;
            }
            else if (IsMember("dependencies"u8))
            {
                type = ItemType.Dependency;
            }
            else if (IsMember("exceptions"u8))
            {
                type = ItemType.Exception;
            }
            else
            {
                throw Unknown(DoorMembers);
            }

            if (!IsNull())
            {
                ExpectArray();
                var rules = new List<RuleDocument>();
                while (NextItem())
                {
                    rules.Add(ReadRule());
                }

                door.Rules[type] = rules;
            }
        }

        return door;
    }

    private RuleDocument ReadRule()
    {
        ExpectObject();
        var rule = new RuleDocument();
        while (JsonValues.NextProperty(ref _reader))
        {
            if (IsMember("name"u8))
            {
                rule.Name = NullableString();
            }
            else if (IsMember("event"u8))
            {
                rule.Event = NullableString();
            }
            else if (IsMember("fields"u8))
            {
                rule.Fields = IsNull() ? null : ReadStringMap();
            }
            else if (IsMember("duration"u8))
            {
                rule.Duration = NullableString();
            }
            else if (IsMember("success"u8))
            {
                rule.Success = NullableString();
            }
            else if (IsMember("stack"u8))
            {
                rule.Stack = NullableString();
            }
            else
            {
                throw Unknown(RuleMembers);
            }
        }

        return rule;
    }

    // An object of string members, in the order written (a source named twice is reported by the builder).
    private List<KeyValuePair<string, string>> ReadStringMap()
    {
        ExpectObject();
        var map = new List<KeyValuePair<string, string>>();
        while (JsonValues.NextProperty(ref _reader))
        {
            var key = _reader.GetString()!;
            _reader.Read();
            map.Add(new(key, NullableString() ?? throw Mismatch("a string")));
        }

        return map;
    }

    private bool IsMember(ReadOnlySpan<byte> name) => JsonValues.IsMember(ref _reader, name);

    private readonly bool IsNull() => _reader.TokenType == JsonTokenType.Null;

    // Moves to the next item of the array being read; false at its end.
    private bool NextItem() => _reader.Read() && _reader.TokenType != JsonTokenType.EndArray;

    private readonly void ExpectObject()
    {
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            throw Mismatch("an object");
        }
    }

    private readonly void ExpectArray()
    {
        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            throw Mismatch("an array");
        }
    }

    private readonly string? NullableString() => _reader.TokenType switch
    {
        JsonTokenType.String => _reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw Mismatch("a string"),
    };

    private readonly int Int32() =>
        _reader.TokenType == JsonTokenType.Number && _reader.TryGetInt32(out var value) ? value : throw Mismatch("a 32-bit integer");

    private readonly double Double() =>
        _reader.TokenType == JsonTokenType.Number && _reader.TryGetDouble(out var value) ? value : throw Mismatch("a number");

    private readonly bool Boolean() => _reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Mismatch("true or false"),
    };

    private List<string>? NullableStrings()
    {
        if (IsNull())
        {
            return null;
        }

        ExpectArray();
        var items = new List<string>();
        while (NextItem())
        {
            // The serializer kept a null item, which the builder then failed on without saying where.
            items.Add(NullableString() ?? throw Mismatch("a string"));
        }

        return items;
    }

    // An array rather than a List<double>: List<double> is generic over a value type, which ReadyToRun cannot
    // precompile, so filling one cost half a dozen JIT compilations at every start-up of a tool with a bucket field.
    private double[]? NullableDoubles()
    {
        if (IsNull())
        {
            return null;
        }

        ExpectArray();
        var items = new double[CountItems()];
        for (var i = 0; i < items.Length; i++)
        {
            NextItem();
            items[i] = Double();
        }

        NextItem(); // the array's end
        return items;
    }

    // The number of items in the array the reader is at the start of, counted on a copy of the reader.
    private readonly int CountItems()
    {
        var copy = _reader;
        var count = 0;
        while (copy.Read() && copy.TokenType != JsonTokenType.EndArray)
        {
            copy.Skip();
            count++;
        }

        return count;
    }

    private readonly ManifestException Mismatch(string expected) =>
        Problem(_reader.TokenStartIndex, $"expected {expected}, found {Found(_reader.TokenType)}");

    // The reader is on the member's name.
    private readonly ManifestException Unknown(string known) =>
        Problem(_reader.TokenStartIndex, $"unknown member '{_reader.GetString()}' (members here: {known}; names are case-sensitive)");

    private readonly ManifestException Problem(long offset, string problem) =>
        new($"not valid manifest JSON at {JsonLocation.Describe(_json, offset, untilFailure: false)}: {problem}");

    private readonly string Found(JsonTokenType token) => token switch
    {
        JsonTokenType.Number => Encoding.UTF8.GetString(_reader.ValueSpan),
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    // The reader's messages end with " LineNumber: 3 | BytePositionInLine: 7." (both counted from zero); the
    // message already says where, counted as editors count.
    private static string WithoutPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }

    /// <summary>Says where a byte of a JSON text is, as a JSON path and a line and column; used only to report a problem.</summary>
    private static class JsonLocation
    {
        /// <summary>The byte offset of <paramref name="bytePosition"/> on line <paramref name="line"/> (both from zero).</summary>
        public static long OffsetOf(ReadOnlySpan<byte> json, int line, int bytePosition)
        {
            var start = 0;
            for (var i = 0; i < line; i++)
            {
                var newline = json[start..].IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }

                start += newline + 1;
            }

            return Math.Min(json.Length, (long)start + bytePosition);
        }

        /// <summary>
        /// "$.events[0].name (line 12, column 9)" for the token at <paramref name="offset"/>: the path comes from
        /// reading the text again up to there. With <paramref name="untilFailure"/> the text is malformed at
        /// <paramref name="offset"/>, and the path is where the reader stopped.
        /// </summary>
        public static string Describe(ReadOnlySpan<byte> json, long offset, bool untilFailure)
        {
            var (line, column) = LineAndColumn(json, offset);
            return $"{PathAt(json, offset, untilFailure)} (line {line}, column {column})";
        }

        private static (int Line, int Column) LineAndColumn(ReadOnlySpan<byte> json, long offset)
        {
            var before = json[..(int)Math.Min(offset, json.Length)];
            var lineStart = before.LastIndexOf((byte)'\n') + 1;
            var line = before.Count((byte)'\n') + 1;

            // Columns count characters, not bytes: UTF-8 continuation bytes (10xxxxxx) do not start one.
            var column = 1;
            foreach (var b in before[lineStart..])
            {
                if ((b & 0xC0) != 0x80)
                {
                    column++;
                }
            }

            return (line, column);
        }

        private static string PathAt(ReadOnlySpan<byte> json, long offset, bool untilFailure)
        {
            var frames = new List<Frame>();
            var reader = new Utf8JsonReader(json, JsonValues.HandEdited);
            try
            {
                while (reader.Read() && (untilFailure || reader.TokenStartIndex < offset))
                {
                    Step(ref reader, frames);
                }

                // The token at the offset itself: a member's name, or an array's next item.
                if (!untilFailure && frames.Count > 0)
                {
                    if (reader.TokenType == JsonTokenType.PropertyName)
                    {
                        frames[^1].Name = reader.GetString();
                    }
                    else if (frames[^1].IsArray && reader.TokenType != JsonTokenType.EndArray)
                    {
                        frames[^1].Index++;
                    }
                }
            }
            catch (JsonException)
            {
                // Malformed from here on: the path is as far as the reader got.
            }

            var path = new StringBuilder("$");
            foreach (var frame in frames)
            {
                if (frame.IsArray)
                {
                    path.Append('[').Append(frame.Index).Append(']');
                }
                else if (frame.Name is not null)
                {
                    path.Append('.').Append(frame.Name);
                }
            }

            return path.ToString();
        }

        private static void Step(ref Utf8JsonReader reader, List<Frame> frames)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    frames[^1].Name = reader.GetString();
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    EndValue(frames);
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    StartValue(frames);
                    frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                    break;
                default:
                    StartValue(frames);
                    EndValue(frames);
                    break;
            }
        }

        private static void StartValue(List<Frame> frames)
        {
            if (frames.Count > 0 && frames[^1].IsArray)
            {
                frames[^1].Index++;
            }
        }

        // After a member's value the path is the object's again, as the serializer reported it.
        private static void EndValue(List<Frame> frames)
        {
            if (frames.Count > 0 && !frames[^1].IsArray)
            {
                frames[^1].Name = null;
            }
        }

        private sealed class Frame(bool isArray)
        {
            public bool IsArray { get; } = isArray;

            // An array's current item, counted from zero; -1 before the first.
            public int Index { get; set; } = -1;

            // An object's current member.
            public string? Name { get; set; }
        }
    }
}
