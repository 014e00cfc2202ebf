using Google.Protobuf;
using Candor.Manifest;

namespace Candor.Collector.Interop;

/// <summary>
/// Reads OTLP/HTTP binary protobuf bodies (<c>ExportLogsServiceRequest</c>, <c>ExportTraceServiceRequest</c> of
/// opentelemetry-proto's collector/logs/v1 and collector/trace/v1) into <see cref="ForeignItem"/>s with
/// Google.Protobuf's <see cref="CodedInputStream"/>. Only the fields a mapping uses are read; every other field
/// (bodies, span events, links, status messages, trace IDs) is skipped without being kept, and unknown fields are
/// skipped as the protobuf rules require. Field numbers are those of the public .proto files.
/// </summary>
internal static class OtlpProtobufReader
{
    /// <summary>The items of a logs or traces request, or throws <see cref="InvalidProtocolBufferException"/> on a malformed body.</summary>
    public static List<ForeignItem> Read(ReadOnlyMemory<byte> body, ItemType type)
    {
        var items = new List<ForeignItem>();
        var input = new CodedInputStream(body.ToArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            // ExportLogsServiceRequest.resource_logs = 1, ExportTraceServiceRequest.resource_spans = 1
            if (tag == Tag(1, WireFormat.WireType.LengthDelimited))
            {
                ReadResourceGroup(input.ReadBytes(), type, items);
            }
            else
            {
                input.SkipLastField();
            }
        }

        return items;
    }

    // ResourceLogs / ResourceSpans: resource = 1, scope_logs / scope_spans = 2.
    private static void ReadResourceGroup(ByteString bytes, ItemType type, List<ForeignItem> items)
    {
        var context = ForeignContext.Empty;
        var resource = ByteString.Empty;
        var scopes = new List<ByteString>();
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    resource = input.ReadBytes();
                    context = ReadResource(resource);
                    break;
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    scopes.Add(input.ReadBytes());
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        foreach (var scope in scopes)
        {
            var scopeInput = scope.CreateCodedInput();
            while ((tag = scopeInput.ReadTag()) != 0)
            {
                // ScopeLogs.log_records = 2, ScopeSpans.spans = 2
                if (tag == Tag(2, WireFormat.WireType.LengthDelimited))
                {
                    var record = scopeInput.ReadBytes();
                    var item = type == ItemType.Log ? ReadLogRecord(record, items.Count) : ReadSpan(record, items.Count);
                    item.Context = context;
                    item.Digest = WireTranslator.Digest(resource.Span, record.Span);
                    items.Add(item);
                }
                else
                {
                    scopeInput.SkipLastField();
                }
            }
        }
    }

    // Resource.attributes = 1: the install ID and the context come from the semantic conventions' resource attributes.
    private static ForeignContext ReadResource(ByteString bytes)
    {
        var attributes = new List<KeyValuePair<string, ForeignValue>>();
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == Tag(1, WireFormat.WireType.LengthDelimited))
            {
                ReadKeyValue(input.ReadBytes(), attributes);
            }
            else
            {
                input.SkipLastField();
            }
        }

        return OtlpContext.From(attributes);
    }

    // LogRecord: time_unix_nano = 1 (fixed64), body = 5, attributes = 6, observed_time_unix_nano = 11 (fixed64), event_name = 12.
    private static ForeignItem ReadLogRecord(ByteString bytes, int position)
    {
        var item = new ForeignItem { Type = ItemType.Log, Position = position };
        ulong time = 0, observed = 0;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case var t when t == Tag(1, WireFormat.WireType.Fixed64):
                    time = input.ReadFixed64();
                    break;
                case var t when t == Tag(11, WireFormat.WireType.Fixed64):
                    observed = input.ReadFixed64();
                    break;
                case var t when t == Tag(5, WireFormat.WireType.LengthDelimited):
                    input.SkipLastField();
                    item.FreeText++;
                    break;
                case var t when t == Tag(6, WireFormat.WireType.LengthDelimited):
                    ReadKeyValue(input.ReadBytes(), item.Attributes);
                    break;
                case var t when t == Tag(12, WireFormat.WireType.LengthDelimited):
                    item.Name = input.ReadString();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        item.Time = OtlpContext.Time(time != 0 ? time : observed);
        item.Name = OtlpContext.LogName(item.Name, item.Attributes);
        return item;
    }

    // Span: name = 5, start_time_unix_nano = 7, end_time_unix_nano = 8 (fixed64), attributes = 9, status = 15 (code = 3).
    private static ForeignItem ReadSpan(ByteString bytes, int position)
    {
        var item = new ForeignItem { Type = ItemType.Span, Position = position };
        ulong start = 0, end = 0;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case var t when t == Tag(5, WireFormat.WireType.LengthDelimited):
                    item.Name = input.ReadString();
                    break;
                case var t when t == Tag(7, WireFormat.WireType.Fixed64):
                    start = input.ReadFixed64();
                    break;
                case var t when t == Tag(8, WireFormat.WireType.Fixed64):
                    end = input.ReadFixed64();
                    break;
                case var t when t == Tag(9, WireFormat.WireType.LengthDelimited):
                    ReadKeyValue(input.ReadBytes(), item.Attributes);
                    break;
                case var t when t == Tag(15, WireFormat.WireType.LengthDelimited):
                    item.Success = ReadStatusCode(input.ReadBytes()) switch { 2 => false, 1 => true, _ => null };
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        item.Time = OtlpContext.Time(start);
        item.DurationMilliseconds = end >= start && start != 0 ? (end - start) / 1e6 : null;
        return item;
    }

    // Status.code = 3 (enum); Status.message = 2 is free text and is skipped.
    private static int ReadStatusCode(ByteString bytes)
    {
        var code = 0;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == Tag(3, WireFormat.WireType.Varint))
            {
                code = input.ReadEnum();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return code;
    }

    // KeyValue: key = 1, value = 2 (AnyValue).
    private static void ReadKeyValue(ByteString bytes, List<KeyValuePair<string, ForeignValue>> into)
    {
        string? key = null;
        ForeignValue? value = null;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == Tag(1, WireFormat.WireType.LengthDelimited))
            {
                key = input.ReadString();
            }
            else if (tag == Tag(2, WireFormat.WireType.LengthDelimited))
            {
                value = ReadAnyValue(input.ReadBytes(), allowArray: true);
            }
            else
            {
                input.SkipLastField();
            }
        }

        if (key is not null)
        {
            // An attribute of a shape no field takes (bytes, a map) is still counted: it is dropped, not kept.
            into.Add(new(key, value ?? default));
        }
    }

    // AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4 (fixed64), array_value = 5 (values = 1).
    private static ForeignValue? ReadAnyValue(ByteString bytes, bool allowArray)
    {
        ForeignValue? value = null;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case var t when t == Tag(1, WireFormat.WireType.LengthDelimited):
                    value = ForeignValue.Of(input.ReadString());
                    break;
                case var t when t == Tag(2, WireFormat.WireType.Varint):
                    value = ForeignValue.Of(input.ReadBool());
                    break;
                case var t when t == Tag(3, WireFormat.WireType.Varint):
                    value = ForeignValue.Of(input.ReadInt64());
                    break;
                case var t when t == Tag(4, WireFormat.WireType.Fixed64):
                    value = ForeignValue.Of(input.ReadDouble());
                    break;
                case var t when t == Tag(5, WireFormat.WireType.LengthDelimited) && allowArray:
                    var items = new List<string>();
                    var array = input.ReadBytes().CreateCodedInput();
                    uint itemTag;
                    while ((itemTag = array.ReadTag()) != 0)
                    {
                        if (itemTag == Tag(1, WireFormat.WireType.LengthDelimited) && ReadAnyValue(array.ReadBytes(), allowArray: false)?.AsText() is { } text)
                        {
                            items.Add(text);
                        }
                        else
                        {
                            array.SkipLastField();
                        }
                    }

                    value = ForeignValue.Of(items);
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return value;
    }

    private static uint Tag(int field, WireFormat.WireType type) => WireFormat.MakeTag(field, type);
}
