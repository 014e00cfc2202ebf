using System.Globalization;
using System.Text.Json;
using Candor.Json;
using Candor.Manifest;
using Candor.Privacy;
using Candor.Protocol;

namespace Candor.Tracking;

/// <summary>
/// Writes a pending event as the exact UTF-8 JSON of a <see cref="Protocol.WireEvent"/>, with the member names of
/// <see cref="WireNames"/> in their order, applying each field's privacy transform on the way: keyed hashes, buckets,
/// normalised versions, allow lists and scrubbed stacks. What it writes is what is printed, spooled and sent, byte
/// for byte.
/// </summary>
internal sealed class EventSerializer : IDisposable
{
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode(WireNames.Id, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode(WireNames.Name, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode(WireNames.Time, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText ProductName = JsonEncodedText.Encode(WireNames.Product, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText RevisionName = JsonEncodedText.Encode(WireNames.Revision, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText InstallName = JsonEncodedText.Encode(WireNames.Install, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText SessionName = JsonEncodedText.Encode(WireNames.Session, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText VerifierName = JsonEncodedText.Encode(WireNames.Verifier, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText ContextName = JsonEncodedText.Encode(WireNames.Context, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText PropertiesName = JsonEncodedText.Encode(WireNames.Properties, AsciiJsonEncoder.Instance);
    private static readonly JsonEncodedText MeasurementsName = JsonEncodedText.Encode(WireNames.Measurements, AsciiJsonEncoder.Instance);

    private readonly ByteBuffer _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;
    private readonly DropCounters _drops;

    // What every event takes from the stamp, from the product's value to the end of the context, written once for the
    // stamp rather than once per event: GUIDs written digit by digit and a dozen writer calls cost more than all of an
    // event's own properties.
    private EventStamp? _encodedStamp;
    private byte[] _stampPart = [];

    public EventSerializer(DropCounters drops)
    {
        _drops = drops;
        // JSON-only escaping keeps labels such as "<1000" readable in print mode and the logs; the JSON is never
        // embedded in HTML, where the default's extra escaping would matter. The shape of every event is fixed by
        // this class (and its tests), so the writer does not check it again for each one.
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true, Encoder = AsciiJsonEncoder.Instance });
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>Serialises the event; the result is valid until the next call.</summary>
    public ReadOnlyMemory<byte> Write(PendingEvent pending, EventStamp stamp)
    {
        if (!ReferenceEquals(stamp, _encodedStamp))
        {
            Encode(stamp);
        }

        _buffer.Clear();
        _writer.Reset(_buffer);
        var w = _writer;
        w.WriteStartObject();
        Span<byte> id = stackalloc byte[QuotedGuidLength];
        w.WritePropertyName(IdName);
        w.WriteRawValue(QuoteGuid(pending.Id, id), skipInputValidation: true);
        w.WriteString(NameName, pending.Definition!.JsonName);
        Span<byte> time = stackalloc byte[TimeLength];
        FormatTime(pending.Time.UtcDateTime, time);
        w.WriteString(TimeName, time);
        // The stamp's part goes in as the product's value: a raw value is copied as it is, and the writer, having seen
        // one value, puts a comma before the next property, exactly as after the context written property by property.
        w.WritePropertyName(ProductName);
        w.WriteRawValue(_stampPart, skipInputValidation: true);

        WriteSection(w, pending, stamp, measurements: false);
        WriteSection(w, pending, stamp, measurements: true);
        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenMemory;
    }

    // Writes the stamp's properties in an object of their own, with the same writer options, and keeps what follows
    // "product": up to the closing brace.
    private void Encode(EventStamp stamp)
    {
        var buffer = new ByteBuffer(256 + stamp.ContextJson.Length);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = AsciiJsonEncoder.Instance }))
        {
            Span<byte> guid = stackalloc byte[QuotedGuidLength];
            w.WriteStartObject();
            w.WriteString(ProductName, stamp.Product);
            w.WriteNumber(RevisionName, stamp.Revision);
            w.WritePropertyName(InstallName);
            w.WriteRawValue(QuoteGuid(stamp.Install, guid), skipInputValidation: true);
            w.WritePropertyName(SessionName);
            w.WriteRawValue(QuoteGuid(stamp.Session, guid), skipInputValidation: true);
            if (stamp.Verifier is not null)
            {
                w.WriteString(VerifierName, stamp.Verifier);
            }

            w.WritePropertyName(ContextName);
            w.WriteRawValue(stamp.ContextJson, skipInputValidation: true);
            w.WriteEndObject();
        }

        // {"product": is the brace, the quoted name and the colon.
        var start = 1 + ProductName.EncodedUtf8Bytes.Length + 3;
        _stampPart = buffer.WrittenSpan[start..^1].ToArray();
        _encodedStamp = stamp;
    }

    private const int QuotedGuidLength = GuidText.MaxLength + 2;

    // Hexadecimal digits and dashes never need escaping, so the quoted text goes in as a raw value: writing it as a
    // string would scan it for characters to escape.
    private static ReadOnlySpan<byte> QuoteGuid(Guid id, Span<byte> quoted)
    {
        var length = GuidText.Format(id, quoted[1..], dashes: true);
        quoted[0] = (byte)'"';
        quoted[length + 1] = (byte)'"';
        return quoted[..(length + 2)];
    }

    // yyyy-MM-ddTHH:mm:ss.fffZ, the wire format's time, written digit by digit: a custom format string is parsed
    // again on every call, which cost more than the rest of the event's header.
    private const int TimeLength = 24;

    // The date is taken apart once, not once per part as Year, Month and Day would; the time of day is arithmetic.
    private static void FormatTime(DateTime utc, Span<byte> destination)
    {
        var (year, month, day) = utc;
        var milliseconds = (int)(utc.TimeOfDay.Ticks / TimeSpan.TicksPerMillisecond);
        Digits(destination[..4], year);
        destination[4] = (byte)'-';
        Digits(destination.Slice(5, 2), month);
        destination[7] = (byte)'-';
        Digits(destination.Slice(8, 2), day);
        destination[10] = (byte)'T';
        Digits(destination.Slice(11, 2), milliseconds / 3_600_000);
        destination[13] = (byte)':';
        Digits(destination.Slice(14, 2), milliseconds / 60_000 % 60);
        destination[16] = (byte)':';
        Digits(destination.Slice(17, 2), milliseconds / 1000 % 60);
        destination[19] = (byte)'.';
        Digits(destination.Slice(20, 3), milliseconds % 1000);
        destination[23] = (byte)'Z';
    }

    private static void Digits(Span<byte> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private void WriteSection(Utf8JsonWriter w, PendingEvent pending, EventStamp stamp, bool measurements)
    {
        var started = false;
        for (var i = 0; i < pending.Count; i++)
        {
            ref readonly var value = ref pending.Value(i);
            if (value.Field.IsMeasurement != measurements)
            {
                continue;
            }

            if (!started)
            {
                w.WriteStartObject(measurements ? MeasurementsName : PropertiesName);
                started = true;
            }

            WriteValue(w, value, stamp);
        }

        if (started)
        {
            w.WriteEndObject();
        }
    }

    private void WriteValue(Utf8JsonWriter w, in FieldValue value, EventStamp stamp)
    {
        var field = value.Field;
        switch (field.Kind)
        {
            case FieldKind.Number:
            case FieldKind.Duration:
                w.WriteNumber(field.JsonName, value.Number);
                break;
            case FieldKind.Bool:
                w.WriteBoolean(field.JsonName, value.Number != 0);
                break;
            case FieldKind.Stack:
                if (StackSignature.From((Exception)value.Reference!, stamp.IsOwnAssembly, stamp.Namespaces) is { } signature)
                {
                    w.WriteString(field.JsonName, signature);
                }
                else
                {
                    _drops.Add(DropReason.InvalidValue);
                }

                break;
            case FieldKind.List:
                var items = (string[])value.Reference!;
                var item = field.Item!;
                w.WriteStartArray(field.JsonName);
                var written = 0;
                foreach (var raw in items)
                {
                    if (written == field.MaxItems)
                    {
                        _drops.Add(DropReason.ListTruncated, items.Length - written);
                        break;
                    }

                    if (Transform(item, raw, stamp) is { } text)
                    {
                        w.WriteStringValue(text);
                        written++;
                    }
                }

                w.WriteEndArray();
                break;
            case FieldKind.Bucket:
                w.WriteString(field.JsonName, field.BucketOf(value.Number));
                break;
            default:
                if (Transform(field, (string)value.Reference!, stamp) is { } transformed)
                {
                    w.WriteString(field.JsonName, transformed);
                }

                break;
        }
    }

    // The transform of a text value, or null when it does not fit (counted).
    private string? Transform(FieldDefinition field, string raw, EventStamp stamp)
    {
        string? result = field.Kind switch
        {
            FieldKind.Enum => field.ValueSet.Contains(raw) ? raw : null,
            FieldKind.Hash => KeyedHash.Compute(stamp.HashKey, raw),
            FieldKind.Version => VersionGrammar.Normalize(raw),
            FieldKind.NameOrHash => field.AllowedName(raw) ?? KeyedHash.Compute(stamp.HashKey, raw),
            FieldKind.Bucket => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? field.BucketOf(number)
                : null,
            _ => null,
        };
        if (result is null)
        {
            _drops.Add(DropReason.InvalidValue);
        }

        return result;
    }
}
