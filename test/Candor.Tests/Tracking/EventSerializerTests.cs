using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Candor.Json;
using Candor.Manifest;
using Candor.Privacy;
using Candor.Protocol;
using Candor.Tests.Support;
using Candor.Tracking;
using CsCheck;

namespace Candor.Tests.Tracking;

/// <summary>
/// The serializer's fast paths (the stamp encoded once, GUIDs and times written as raw text) write exactly the bytes
/// the plain Utf8JsonWriter calls below write for the same event: every field kind, any text, any stamp.
/// </summary>
public class EventSerializerTests
{
    private static readonly TelemetryManifest Manifest = TelemetryManifest.Parse(TrackedValuesGrammarTests.ManifestJson);
    private static readonly EventDefinition All = Manifest.Find("all")!;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_AnyEventOfEveryKind_WritesWhatPlainWriterCallsWrite(bool longRun)
    {
        var text = HostileText.Any;

        // A stamp's texts come from a checked manifest and the install's files: never a lone surrogate.
        var wellFormed = text.Where(WellFormed);
        var stamps = Gen.Select(wellFormed, Gen.Int, Gen.Guid, Gen.Guid, Gen.OneOf(Gen.Const((string?)null), wellFormed.Select(v => (string?)v)), text, Gen.Byte.Array[0, 32])
            .Select((product, revision, install, session, verifier, context, key) => new EventStamp(
                product, revision, install, session, verifier, JsonSerializer.SerializeToUtf8Bytes(context), key, _ => false, []));
        var values = Gen.Select(text, text, text.Array[0, 5], Gen.Double, Gen.Double, Gen.Bool, Gen.Int[0, Throwers.Count - 1]);
        var times = Gen.Long[DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks].Select(ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

        Gen.Select(stamps, times, values.Array[1, 3]).Sample((stamp, time, events) =>
        {
            using var serializer = new EventSerializer(new DropCounters());
            if (longRun)
            {
                serializer.UseVectorisedIds();
            }

            foreach (var (t1, t2, items, n1, n2, flag, thrower) in events)
            {
                var pending = new PendingEvent();
                pending.Start(All, time);
                pending.AssignId();
                pending.Set(FieldValue.Text(All.Find("e")!, t1));
                pending.Set(FieldValue.Numeric(All.Find("b")!, flag ? 1 : 0));
                pending.Set(FieldValue.Numeric(All.Find("k")!, n1));
                pending.Set(FieldValue.Text(All.Find("h")!, t2));
                pending.Set(FieldValue.Text(All.Find("v")!, t1));
                pending.Set(FieldValue.Text(All.Find("n")!, t2));
                pending.Set(FieldValue.Object(All.Find("s")!, Throwers.Capture(thrower, t1)));
                foreach (var list in new[] { "le", "lk", "lh", "lv", "ln" })
                {
                    pending.Set(FieldValue.Object(All.Find(list)!, items));
                }

                pending.Set(FieldValue.Numeric(All.Find("d")!, n2));
                pending.Set(FieldValue.Numeric(All.Find("m")!, n1));

                var written = Encoding.UTF8.GetString(serializer.Write(pending, stamp).Span);
                Assert.Equal(Plain(pending, stamp), written);
            }
        }, iter: 300);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1500.0)]
    [InlineData(-5.0)]
    [InlineData(0.1)]
    [InlineData(2.5e-7)]
    [InlineData(123456789012345.0)]
    [InlineData(999999999999999.0)]
    [InlineData(1e15)]
    [InlineData(-1e15)]
    [InlineData(4503599627370496.0)]
    [InlineData(9007199254740993.0)]
    [InlineData(9.2233720368547758E+18)]
    [InlineData(1e300)]
    [InlineData(double.MaxValue)]
    [InlineData(double.Epsilon)]
    public void Write_WholeAndFractionalNumbers_WritesWhatPlainWriterCallsWrite(double number)
    {
        // Whole numbers take a faster formatter than fractions; both must give the writer's digits.
        using var serializer = new EventSerializer(new DropCounters());
        var stamp = new EventStamp("p", 1, Guid.NewGuid(), Guid.NewGuid(), null, "{}"u8.ToArray(), [1], _ => false, []);
        var pending = new PendingEvent();
        pending.Start(All, DateTimeOffset.UnixEpoch);
        pending.AssignId();
        pending.Set(FieldValue.Numeric(All.Find("d")!, number));
        pending.Set(FieldValue.Numeric(All.Find("m")!, -number));

        Assert.Equal(Plain(pending, stamp), Encoding.UTF8.GetString(serializer.Write(pending, stamp).Span));
    }

    [Fact]
    public void Write_DeclaredEnumValuesAndTimesWithinOneSecond_WritesWhatPlainWriterCallsWrite()
    {
        using var serializer = new EventSerializer(new DropCounters());
        var stamp = new EventStamp("p", 1, Guid.NewGuid(), Guid.NewGuid(), "v", "{}"u8.ToArray(), [1], _ => false, []);
        var time = new DateTimeOffset(2026, 12, 31, 23, 59, 59, 998, TimeSpan.Zero);
        foreach (var (value, offset) in new[] { ("a", 0L), ("b-c", 5_000L), ("x64-linux", 20_000L), ("b-c", 1L), ("a", -10_000_000L) })
        {
            var pending = new PendingEvent();
            pending.Start(All, time.AddTicks(offset));
            pending.AssignId();
            pending.Set(FieldValue.Text(All.Find("e")!, value));
            pending.Set(FieldValue.Object(All.Find("le")!, new[] { value, "none", value }));

            Assert.Equal(Plain(pending, stamp), Encoding.UTF8.GetString(serializer.Write(pending, stamp).Span));
        }
    }

    private static readonly string LongName = "l" + new string('o', 63);

    // Events whose names are short, long and between, for the serializer's layout in place.
    private static readonly TelemetryManifest Names = TelemetryManifest.Parse($$"""
        {
          "product": "p", "revision": 1, "disclosure": { "version": 1, "text": "p collects usage data." },
          "events": [
            { "name": "a", "description": ".", "purpose": ".",
              "properties": [ { "name": "e", "kind": "enum", "values": ["x64-linux"], "description": "." } ],
              "measurements": [ { "name": "d", "kind": "duration", "description": "." } ] },
            { "name": "{{LongName}}", "description": ".", "purpose": "." },
            { "name": "mid-length.name", "description": ".", "purpose": ".",
              "measurements": [ { "name": "d", "kind": "duration", "description": "." } ] }
          ]
        }
        """);

    [Fact]
    public void Write_EventsOfNamesOfAnyLengthAndStampsInTurn_EachWritesWhatPlainWriterCallsWrite()
    {
        // The stamp stays in the serializer's buffer between events, with each header written before it and each
        // event's sections after it: a longer name, another stamp or an event shorter than the last must not leave
        // bytes of an earlier event behind.
        var longName = LongName;
        var manifest = Names;
        var stamps = new[]
        {
            new EventStamp("p", 1, Guid.NewGuid(), Guid.NewGuid(), null, "{}"u8.ToArray(), [1], _ => false, []),
            new EventStamp("p", 2, Guid.NewGuid(), Guid.NewGuid(), new string('f', 64), """{"os":"linux","version":"1.2.3"}"""u8.ToArray(), [1], _ => false, []),
        };
        using var serializer = new EventSerializer(new DropCounters());
        var time = new DateTimeOffset(2026, 12, 7, 15, 0, 0, 123, TimeSpan.Zero);
        foreach (var (name, stamp) in new[] { ("a", 0), (longName, 0), ("a", 0), ("mid-length.name", 1), (longName, 1), ("a", 1), ("a", 0), (longName, 0) })
        {
            var definition = manifest.Find(name)!;
            var pending = new PendingEvent();
            pending.Start(definition, time);
            pending.AssignId();
            if (definition.Find("e") is { } e)
            {
                pending.Set(FieldValue.Text(e, "x64-linux"));
            }

            if (definition.Find("d") is { } d)
            {
                pending.Set(FieldValue.Numeric(d, 1500.0));
            }

            Assert.Equal(Plain(pending, stamps[stamp]), Encoding.UTF8.GetString(serializer.Write(pending, stamps[stamp]).Span));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Write_AnySequenceOfNamesAndTimes_EachWritesWhatPlainWriterCallsWrite(bool longRun)
    {
        // The last event's header stays in place: an event of the same name rewrites only its ID and its time's digits,
        // all of them only in another second. Whatever the order of names and times (within one millisecond, within
        // one second, across seconds, backwards, anywhere in the calendar), no byte of an earlier event may stay.
        var names = new[] { "a", LongName, "mid-length.name" };
        var start = new DateTimeOffset(2026, 12, 31, 23, 59, 58, 999, TimeSpan.Zero).UtcTicks;
        var near = Gen.Long[-30_000_000, 30_000_000].Select(offset => start + offset);
        var anywhere = Gen.Long[DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks];
        var events = Gen.Select(Gen.Int[0, names.Length - 1], Gen.Frequency((4, near), (1, anywhere)), Gen.Double[0, 1e7]);
        var stamp = new EventStamp("p", 1, Guid.NewGuid(), Guid.NewGuid(), null, "{}"u8.ToArray(), [1], _ => false, []);

        events.Array[1, 40].Sample(sequence =>
        {
            using var serializer = new EventSerializer(new DropCounters());
            if (longRun)
            {
                serializer.UseVectorisedIds();
            }

            foreach (var (name, ticks, duration) in sequence)
            {
                var definition = Names.Find(names[name])!;
                var pending = new PendingEvent();
                pending.Start(definition, new DateTimeOffset(ticks, TimeSpan.Zero));
                pending.AssignId();
                if (definition.Find("d") is { } d)
                {
                    pending.Set(FieldValue.Numeric(d, duration));
                }

                Assert.Equal(Plain(pending, stamp), Encoding.UTF8.GetString(serializer.Write(pending, stamp).Span));
            }
        }, iter: 300);
    }

    private static bool WellFormed(string text)
    {
        for (var i = 0; i < text.Length; i += Rune.GetRuneAt(text, i).Utf16SequenceLength)
        {
            if (!Rune.TryGetRuneAt(text, i, out _))
            {
                return false;
            }
        }

        return true;
    }

    // The event as plain writer calls make it, with the transforms each kind documents.
    private static string Plain(PendingEvent pending, EventStamp stamp)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = AsciiJsonEncoder.Instance, SkipValidation = true }))
        {
            w.WriteStartObject();
            w.WriteString("id", pending.Id.ToString("D"));
            w.WriteString("name", pending.Definition!.Name);
            w.WriteString("time", pending.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("product", stamp.Product);
            w.WriteNumber("revision", stamp.Revision);
            w.WriteString("install", stamp.Install.ToString("D"));
            w.WriteString("session", stamp.Session.ToString("D"));
            if (stamp.Verifier is not null)
            {
                w.WriteString("verifier", stamp.Verifier);
            }

            w.WritePropertyName("context");
            w.WriteRawValue(stamp.ContextJson, skipInputValidation: true);
            foreach (var measurements in new[] { false, true })
            {
                var fields = Enumerable.Range(0, pending.Count).Select(i => pending.Value(i)).Where(v => v.Field.IsMeasurement == measurements).ToList();
                if (fields.Count == 0)
                {
                    continue;
                }

                w.WriteStartObject(measurements ? "measurements" : "properties");
                foreach (var value in fields)
                {
                    if (Expected(value, stamp) is { } expected)
                    {
                        w.WritePropertyName(value.Field.Name);
                        expected.WriteTo(w);
                    }
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // What the wire carries for a value, or null when nothing is sent for it.
    private static JsonNode? Expected(FieldValue value, EventStamp stamp)
    {
        var field = value.Field;
        return field.Kind switch
        {
            FieldKind.Number or FieldKind.Duration => JsonValue.Create(value.Number),
            FieldKind.Bool => JsonValue.Create(value.Number != 0),
            FieldKind.Bucket => JsonValue.Create(field.BucketLabels[BucketLabel.IndexOf(field.Boundaries, value.Number)]),
            FieldKind.Stack => JsonValue.Create(StackSignature.From((Exception)value.Reference!, stamp.IsOwnAssembly, stamp.Namespaces)),
            FieldKind.List => new JsonArray([.. ((string[])value.Reference!)
                .Select(raw => PlainText(field.Item!, raw, stamp)).OfType<string>().Take(field.MaxItems).Select(item => JsonValue.Create(item))]),
            _ => JsonValue.Create(PlainText(field, (string)value.Reference!, stamp)),
        };
    }

    private static string? PlainText(FieldDefinition field, string raw, EventStamp stamp) => field.Kind switch
    {
        FieldKind.Enum => field.Values.Contains(raw) ? raw : null,
        FieldKind.Hash => KeyedHash.Compute(stamp.HashKey, raw),
        FieldKind.Version => VersionGrammar.Normalize(raw),
        FieldKind.NameOrHash => field.Allow.FirstOrDefault(allowed => string.Equals(allowed, raw, StringComparison.OrdinalIgnoreCase)) ?? KeyedHash.Compute(stamp.HashKey, raw),
        FieldKind.Bucket => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? field.BucketLabels[BucketLabel.IndexOf(field.Boundaries, number)]
            : null,
        _ => null,
    };
}
