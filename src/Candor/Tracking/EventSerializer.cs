using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
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
    // The parts between an event's own values, from the wire format's names: {"id":" ... ","name": ... ,"time":" ...
    // ","product": and the openings of the two sections.
    private static readonly byte[] BeforeId = Part("{", WireNames.Id, ":\"");
    private static readonly byte[] BeforeName = Part("\",", WireNames.Name, ":");
    private static readonly byte[] BeforeTime = Part(",", WireNames.Time, ":\"");
    private static readonly byte[] BeforeProduct = Part("\",", WireNames.Product, ":");
    private static readonly byte[] BeforeProperties = Part(",", WireNames.Properties, ":{");
    private static readonly byte[] BeforeMeasurements = Part(",", WireNames.Measurements, ":{");

    // The stamp's own names, with the comma before them and the colon after: ,"revision": and so on.
    private static readonly byte[] BeforeRevision = Part(",", WireNames.Revision, ":");
    private static readonly byte[] BeforeInstall = Part(",", WireNames.Install, ":");
    private static readonly byte[] BeforeSession = Part(",", WireNames.Session, ":");
    private static readonly byte[] BeforeVerifier = Part(",", WireNames.Verifier, ":");
    private static readonly byte[] BeforeContext = Part(",", WireNames.Context, ":");

    private readonly ByteBuffer _buffer = new(1024);
    private readonly JsonBytes _json = new();
    private readonly DropCounters _drops;

    // What every event takes from the stamp, from the product's value to the end of the context, written once for the
    // stamp rather than once per event: GUIDs written digit by digit and a dozen writer calls cost more than all of an
    // event's own properties. It stays in the buffer between events, at [_stampStart, _stampEnd): each event's header
    // (ID, name, time) is written just before it, ending where it starts, and the event's sections just after it, so
    // its 300 or so bytes are not copied for every event; the event is the bytes from its header's start.
    private EventStamp? _encodedStamp;
    private int _stampStart;
    private int _stampEnd;

    // Room for the header before the stamp, grown (by laying the stamp out again) for a longer event name.
    private const int HeaderRoom = 128;

    // The last event's header stays before the stamp too: the event name it was laid out for (null when it must be
    // laid out again) and the second its time's digits up to the seconds were written for. An event of the same name
    // as the last, as a tool tracking per operation sends, rewrites only its ID and its time's milliseconds, and the
    // rest of the time once per second, instead of copying five parts and the time's first twenty bytes every time.
    private byte[]? _headerName;
    private long _headerSecond;

    // Set once the run has proved long, from any thread: event IDs are then written by the runtime's vectorised
    // formatter (see GuidText.FormatVectorised), which a short run does not compile.
    private volatile bool _vectorisedIds;

    public EventSerializer(DropCounters drops)
    {
        _drops = drops;
    }

    public void Dispose() => _json.Dispose();

    /// <summary>The run has proved long: event IDs are written by the runtime's faster formatter from now on. Any thread.</summary>
    public void UseVectorisedIds() => _vectorisedIds = true;

    /// <summary>Serialises the event; the result is valid until the next call.</summary>
    /// <remarks>
    /// The bytes are appended directly, each part encoded once where it can be (the stamp's part per stamp, an event's
    /// name per definition, a property's name and an enum's values per field), in the exact layout
    /// <see cref="Utf8JsonWriter"/> gives the same calls with the SDK's options (its tests hold it to that): an event's
    /// shape is fixed, so a writer's bookkeeping per value (commas, depth, escaping of names) was most of its cost.
    /// </remarks>
    // Never inlined into its caller: inlined, the JIT ran out of its inlining budget before the GUID formatter and the
    // buffer's calls, which cost more than the call saves (about 20 ns an event in a loop of Write alone).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public ReadOnlyMemory<byte> Write(PendingEvent pending, EventStamp stamp)
    {
        var name = pending.Definition!.JsonName;
        var headerLength = HeaderLength + name.Length;
        if (!ReferenceEquals(stamp, _encodedStamp) || headerLength > _stampStart)
        {
            Encode(stamp, headerLength);
        }

        var b = _buffer;
        var start = _stampStart - headerLength;
        var header = b.WrittenSlice(start, headerLength);
        if (!ReferenceEquals(name, _headerName))
        {
            LayOutHeader(header, name);
        }

        var id = header.Slice(BeforeId.Length, GuidText.MaxLength);
        if (_vectorisedIds)
        {
            GuidText.FormatVectorised(pending.Id, id);
        }
        else
        {
            GuidText.Format(pending.Id, id, dashes: true);
        }

        FormatTime(pending.Time.UtcTicks, header.Slice(headerLength - BeforeProduct.Length - TimeLength, TimeLength));

        // Whatever the last event wrote after the stamp is written over.
        b.SetLength(_stampEnd);
        WriteSection(pending, stamp, measurements: false);
        WriteSection(pending, stamp, measurements: true);
        b.Append("}"u8);
        return b.WrittenFrom(start);
    }

    // The header's length but for the event's name: {"id":"<36>","name": ... ,"time":"<24>","product":
    private static readonly int HeaderLength =
        BeforeId.Length + GuidText.MaxLength + BeforeName.Length + BeforeTime.Length + TimeLength + BeforeProduct.Length;

    private static int Put(Span<byte> destination, int at, ReadOnlySpan<byte> part)
    {
        part.CopyTo(destination[at..]);
        return at + part.Length;
    }

    // The header's parts around the ID and the time's digits, which Write then writes (all of the time's: the second
    // in place is forgotten).
    private void LayOutHeader(Span<byte> header, byte[] name)
    {
        Put(header, 0, BeforeId);
        var at = Put(header, BeforeId.Length + GuidText.MaxLength, BeforeName);
        at = Put(header, at, name);
        at = Put(header, at, BeforeTime);
        header[at + TimeLength - 1] = (byte)'Z';
        Put(header, at + TimeLength, BeforeProduct);
        _headerName = name;
        _headerSecond = long.MinValue;
    }

    // Keeps what follows "product": up to the event's own sections, as a writer would write the stamp's members (the
    // tests hold it to that). Appended as bytes like the rest of the event: a writer here loaded System.Text.Json and
    // System.Text.Encodings.Web in every run that records, for these few members.
    private void Encode(EventStamp stamp, int headerLength)
    {
        var b = new ByteBuffer(256 + stamp.ContextJson.Length);
        _json.AppendString(b, stamp.Product);
        b.Append(BeforeRevision);
        Utf8Formatter.TryFormat(stamp.Revision, b.GetSpan(11), out var written);
        b.Advance(written);
        b.Append(BeforeInstall);
        AppendQuotedGuid(b, stamp.Install);
        b.Append(BeforeSession);
        AppendQuotedGuid(b, stamp.Session);
        if (stamp.Verifier is not null)
        {
            b.Append(BeforeVerifier);
            _json.AppendString(b, stamp.Verifier);
        }

        b.Append(BeforeContext);
        b.Append(stamp.ContextJson);

        // Laid out in the event buffer with room for the header before it.
        _stampStart = Math.Max(HeaderRoom, headerLength);
        _buffer.SetLength(_stampStart);
        _buffer.Append(b.WrittenSpan);
        _stampEnd = _stampStart + b.WrittenSpan.Length;
        _encodedStamp = stamp;
        _headerName = null;
    }

    private static byte[] Part(string before, string name, string after) =>
        [.. Encoding.ASCII.GetBytes(before), .. JsonBytes.Quoted(name), .. Encoding.ASCII.GetBytes(after)];

    // Hexadecimal digits and dashes never need escaping.
    private static void AppendQuotedGuid(ByteBuffer buffer, Guid id)
    {
        var quoted = buffer.GetSpan(GuidText.MaxLength + 2);
        var length = GuidText.Format(id, quoted[1..], dashes: true);
        quoted[0] = (byte)'"';
        quoted[length + 1] = (byte)'"';
        buffer.Advance(length + 2);
    }

    // yyyy-MM-ddTHH:mm:ss.fffZ, the wire format's time, written digit by digit: a custom format string is parsed
    // again on every call, which cost more than the rest of the event's header.
    private const int TimeLength = 24;

    // Writes the milliseconds, and the rest but the closing Z when the second is not the one already in place. The
    // date is taken apart once per second, not once per part as Year, Month and Day would; the time of day is
    // arithmetic.
    private void FormatTime(long ticks, Span<byte> destination)
    {
        var second = ticks / TimeSpan.TicksPerSecond;
        if (second != _headerSecond)
        {
            FormatToSeconds(new DateTime(ticks, DateTimeKind.Utc), destination);
            _headerSecond = second;
        }

        Digits(destination.Slice(20, 3), (int)(ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMillisecond));
    }

    private static void FormatToSeconds(DateTime utc, Span<byte> destination)
    {
        var (year, month, day) = utc;
        var seconds = (int)(utc.TimeOfDay.Ticks / TimeSpan.TicksPerSecond);
        Digits(destination[..4], year);
        destination[4] = (byte)'-';
        Digits(destination.Slice(5, 2), month);
        destination[7] = (byte)'-';
        Digits(destination.Slice(8, 2), day);
        destination[10] = (byte)'T';
        Digits(destination.Slice(11, 2), seconds / 3600);
        destination[13] = (byte)':';
        Digits(destination.Slice(14, 2), seconds / 60 % 60);
        destination[16] = (byte)':';
        Digits(destination.Slice(17, 2), seconds % 60);
        destination[19] = (byte)'.';
    }

    private static void Digits(Span<byte> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }

    private void WriteSection(PendingEvent pending, EventStamp stamp, bool measurements)
    {
        var b = _buffer;
        var started = false;
        var first = true;
        for (var i = 0; i < pending.Count; i++)
        {
            ref readonly var value = ref pending.Value(i);
            if (value.Field.IsMeasurement != measurements)
            {
                continue;
            }

            if (!started)
            {
                b.Append(measurements ? BeforeMeasurements : BeforeProperties);
                started = true;
            }

            if (WriteValue(value, stamp, first))
            {
                first = false;
            }
        }

        if (started)
        {
            b.Append("}"u8);
        }
    }

    // Writes the member, with the comma before it unless it is the first; false when nothing was written for it.
    private bool WriteValue(in FieldValue value, EventStamp stamp, bool first)
    {
        var field = value.Field;
        var b = _buffer;
        switch (field.Kind)
        {
            case FieldKind.Number:
            case FieldKind.Duration:
                Member(field, first);
                JsonBytes.AppendNumber(b, value.Number);
                return true;
            case FieldKind.Bool:
                Member(field.JsonMemberAt(value.Number != 0 ? 1 : 0), first);
                return true;
            case FieldKind.Enum:
                var declared = field.IndexOfValue((string)value.Reference!);
                if (declared < 0)
                {
                    _drops.Add(DropReason.InvalidValue);
                    return false;
                }

                Member(field.JsonMemberAt(declared), first);
                return true;
            case FieldKind.Stack:
                if (StackSignature.From((Exception)value.Reference!, stamp.IsOwnAssembly, stamp.Namespaces) is not { } signature)
                {
                    _drops.Add(DropReason.InvalidValue);
                    return false;
                }

                Member(field, first);
                _json.AppendString(b, signature);
                return true;
            case FieldKind.List:
                Member(field, first);
                WriteList(field, (string[])value.Reference!, stamp);
                return true;
            case FieldKind.Bucket:
                Member(field, first);
                _json.AppendString(b, field.BucketOf(value.Number));
                return true;
            default:
                if (Transform(field, (string)value.Reference!, stamp) is not { } transformed)
                {
                    return false;
                }

                Member(field, first);
                _json.AppendString(b, transformed);
                return true;
        }
    }

    private void Member(FieldDefinition field, bool first) => Member(field.JsonMember, first);

    // A member's bytes start with the comma that separates it from the one before.
    private void Member(byte[] member, bool first) => _buffer.Append(first ? member.AsSpan(1) : member);

    private void WriteList(FieldDefinition field, string[] items, EventStamp stamp)
    {
        var item = field.Item!;
        _buffer.Append("["u8);
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
                if (written > 0)
                {
                    _buffer.Append(","u8);
                }

                _json.AppendString(_buffer, text);
                written++;
            }
        }

        _buffer.Append("]"u8);
    }

    // The transform of a text value, or null when it does not fit (counted).
    private string? Transform(FieldDefinition field, string raw, EventStamp stamp)
    {
        string? result = field.Kind switch
        {
            FieldKind.Enum => field.IndexOfValue(raw) >= 0 ? raw : null,
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
