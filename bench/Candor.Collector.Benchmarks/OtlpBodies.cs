using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Protocol;
using Google.Protobuf;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// The benchmark's events as an OpenTelemetry exporter would send them: OTLP/HTTP binary protobuf log records
/// (one resource per install, the install ID and context as resource attributes, the event's properties and
/// measurements as attributes), and the workload's manifest with the mapping that turns them back into the same
/// declared events. Stack values have no mapping (a stack field is filled only from an exception), so crash events
/// arrive without their stack, and install events without their hashed package names.
/// </summary>
internal static class OtlpBodies
{
    public const string LogsPath = "/v1/logs";
    public const string MediaType = "application/x-protobuf";

    /// <summary>The workload's manifest with an <c>otlp</c> mapping of every event by its own name, every field by its own name.</summary>
    public static string Manifest()
    {
        var manifest = JsonNode.Parse(Workload.ManifestJson)!.AsObject();
        var logs = new JsonArray();
        foreach (var e in manifest["events"]!.AsArray())
        {
            var fields = new JsonObject();
            foreach (var field in (e!["properties"]?.AsArray() ?? []).Concat(e["measurements"]?.AsArray() ?? []))
            {
                if (field!["kind"]!.GetValue<string>() != "stack")
                {
                    fields[field["name"]!.GetValue<string>()] = field["name"]!.GetValue<string>();
                }
            }

            logs.Add(new JsonObject { ["name"] = e["name"]!.GetValue<string>(), ["event"] = e["name"]!.GetValue<string>(), ["fields"] = fields });
        }

        manifest["mappings"] = new JsonObject { ["otlp"] = new JsonObject { ["install"] = "candor.install", ["logs"] = logs } };
        return manifest.ToJsonString();
    }

    /// <summary>A gzip <c>ExportLogsServiceRequest</c> of <paramref name="events"/>.</summary>
    public static byte[] Encode(IReadOnlyList<WireEvent> events)
    {
        var request = Message(output =>
        {
            foreach (var e in events)
            {
                // ExportLogsServiceRequest.resource_logs = 1 { resource = 1 { attributes = 1 }, scope_logs = 2 { log_records = 2 } }
                output.WriteTag(1, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFrom(Message(resourceLogs =>
                {
                    resourceLogs.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    resourceLogs.WriteBytes(ByteString.CopyFrom(Message(resource =>
                    {
                        Attribute(resource, 1, "candor.install", e.Install.ToString());
                        Attribute(resource, 1, "service.version", e.Context.Version);
                        Attribute(resource, 1, "os.type", e.Context.Os);
                        Attribute(resource, 1, "os.version", e.Context.OsVersion);
                        Attribute(resource, 1, "host.arch", e.Context.Arch);
                        Attribute(resource, 1, "process.runtime.version", e.Context.Runtime);
                    })));
                    resourceLogs.WriteTag(2, WireFormat.WireType.LengthDelimited);
                    resourceLogs.WriteBytes(ByteString.CopyFrom(Message(scope =>
                    {
                        scope.WriteTag(2, WireFormat.WireType.LengthDelimited);
                        scope.WriteBytes(ByteString.CopyFrom(LogRecord(e)));
                    })));
                })));
            }
        });

        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal))
        {
            gzip.Write(request);
        }

        return compressed.ToArray();
    }

    // LogRecord: time_unix_nano = 1 (fixed64), attributes = 6, event_name = 12.
    private static byte[] LogRecord(WireEvent e) => Message(record =>
    {
        record.WriteTag(1, WireFormat.WireType.Fixed64);
        record.WriteFixed64((ulong)(e.Time.ToUnixTimeMilliseconds() * 1_000_000));
        foreach (var (name, value) in e.Properties ?? [])
        {
            if (WithoutHashes(value) is { } sent)
            {
                Attribute(record, 6, name, AnyValue(sent));
            }
        }

        foreach (var (name, number) in e.Measurements ?? [])
        {
            Attribute(record, 6, name, Message(any =>
            {
                any.WriteTag(4, WireFormat.WireType.Fixed64);
                any.WriteDouble(number);
            }));
        }

        record.WriteTag(12, WireFormat.WireType.LengthDelimited);
        record.WriteString(e.Name);
    });

    // A keyed hash is made by the SDK with the install's secret, so an OpenTelemetry exporter cannot send one and the
    // foreign doors refuse an item that holds one: a list's hashed names (private packages) are left out, and a list
    // left empty is not sent at all (an empty list would be taken too: it holds no more items than declared).
    private static JsonElement? WithoutHashes(JsonElement value)
    {
        if (value.ValueKind is not JsonValueKind.Array || !value.EnumerateArray().Any(IsHash))
        {
            return value;
        }

        var kept = value.EnumerateArray().Where(item => !IsHash(item)).ToList();
        return kept.Count == 0 ? null : JsonSerializer.SerializeToElement(kept);

        static bool IsHash(JsonElement item) => item.ValueKind is JsonValueKind.String && PropertyGrammar.IsHash(item.GetString());
    }

    // AnyValue: string_value = 1, bool_value = 2, array_value = 5 { values = 1 }.
    private static byte[] AnyValue(JsonElement value) => Message(any =>
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True or JsonValueKind.False:
                any.WriteTag(2, WireFormat.WireType.Varint);
                any.WriteBool(value.GetBoolean());
                break;
            case JsonValueKind.Array:
                any.WriteTag(5, WireFormat.WireType.LengthDelimited);
                any.WriteBytes(ByteString.CopyFrom(Message(array =>
                {
                    foreach (var item in value.EnumerateArray())
                    {
                        array.WriteTag(1, WireFormat.WireType.LengthDelimited);
                        array.WriteBytes(ByteString.CopyFrom(AnyValue(item)));
                    }
                })));
                break;
            default:
                any.WriteTag(1, WireFormat.WireType.LengthDelimited);
                any.WriteString(value.GetString());
                break;
        }
    });

    private static void Attribute(CodedOutputStream output, int field, string key, string value) =>
        Attribute(output, field, key, Message(any =>
        {
            any.WriteTag(1, WireFormat.WireType.LengthDelimited);
            any.WriteString(value);
        }));

    // KeyValue { key = 1, value = 2 (an encoded AnyValue) } as field `field` of the message being written.
    private static void Attribute(CodedOutputStream output, int field, string key, byte[] anyValue)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(Message(pair =>
        {
            pair.WriteTag(1, WireFormat.WireType.LengthDelimited);
            pair.WriteString(key);
            pair.WriteTag(2, WireFormat.WireType.LengthDelimited);
            pair.WriteBytes(ByteString.CopyFrom(anyValue));
        })));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }
}
