using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Candor.Collector.Ingestion;
using Candor.Delivery;
using Candor.Manifest;
using Candor.Privacy;
using Candor.Protocol;
using Candor.Storage;
using Candor.Testing;
using Candor.Tests.Support;
using Candor.Tracking;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace Candor.Collector.Tests.Ingestion;

/// <summary>
/// Every encoder and decoder of the event wire format, on any event the manifest allows: each route below decodes to
/// the model the generator expects, member for member. Encoders: the SDK's writer (<see cref="EventSerializer"/>, with
/// the context from <see cref="WireContextJson"/>), the uploader's batch body (<see cref="BatchBody"/>) and
/// <see cref="ProtocolJsonContext"/>. Decoders: the collector's (<see cref="BatchReader"/>, the pipeline's batch parse
/// and <see cref="WireEventReader"/>), <see cref="ProtocolJsonContext"/>, the spool's own read
/// (<see cref="Spool.ReadBatch"/>), the transparency log (<see cref="TransparencyLog"/>, what <c>candor events</c>
/// shows), and <see cref="RecordedEvent"/>, what a tool's tests read.
/// </summary>
public sealed class WireRoundTripTests : IDisposable
{
    private const string ManifestJson = """
        {
          "product": "roundtrip", "name": "Round trip", "revision": 1, "consent": "opt-out",
          "disclosure": { "version": 1, "text": "roundtrip collects usage data." },
          "namespaces": ["Candor.Collector.Tests.Ingestion"],
          "events": [
            { "name": "all", "description": "Every kind.", "purpose": "Test.", "level": "usage",
              "properties": [
                { "name": "e", "kind": "enum", "values": ["a", "b-c", "x64+linux", "A.b_c/d:e", "0123456789012345678901234567890123456789012345678901234567890123"], "description": "." },
                { "name": "b", "kind": "bool", "description": "." },
                { "name": "k", "kind": "bucket", "unit": "bytes", "boundaries": [-1.5, 0, 1000, 100000], "description": "." },
                { "name": "h", "kind": "hash", "description": "." },
                { "name": "v", "kind": "version", "description": "." },
                { "name": "n", "kind": "nameOrHash", "allow": ["zlib", "OpenSSL"], "description": "." },
                { "name": "s", "kind": "stack", "description": "." },
                { "name": "le", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "enum", "values": ["a", "b-c"], "description": "." } },
                { "name": "lk", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "bucket", "unit": "bytes", "boundaries": [10], "description": "." } },
                { "name": "lh", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "hash", "description": "." } },
                { "name": "lv", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "version", "description": "." } },
                { "name": "ln", "kind": "list", "maxItems": 3, "description": ".", "item": { "kind": "nameOrHash", "allow": ["zlib"], "description": "." } },
                { "name": "lmax", "kind": "list", "maxItems": 1000, "description": ".", "item": { "kind": "enum", "values": ["a", "b"], "description": "." } }
              ],
              "measurements": [
                { "name": "d", "kind": "duration", "description": "." },
                { "name": "m", "kind": "number", "unit": "count", "minimum": -1e15, "maximum": 1e15, "description": "." }
              ] },
            { "name": "bare", "description": "Nothing but the event.", "purpose": "Test.", "level": "usage" }
          ]
        }
        """;

    private static readonly TelemetryManifest Manifest = TelemetryManifest.Parse(ManifestJson);
    private static readonly EventDefinition All = Manifest.Find("all")!;
    private static readonly EventDefinition Bare = Manifest.Find("bare")!;
    private static readonly Assembly Own = typeof(WireRoundTripTests).Assembly;

    private readonly string _root = Directory.CreateTempSubdirectory("candor-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void EveryEncoderAndDecoder_AnyEventTheManifestAllows_DecodeToTheSameModel()
    {
        // Samples run on several threads: each has a home of its own, and the counts are added atomically.
        var (spooledEvents, tooLarge) = (0, 0);
        void RoundTrip(EventStamp stamp, GeneratedEvent[] events)
        {
            using var serializer = new EventSerializer(new DropCounters());
            var home = new CandorHome(Path.Combine(_root, Guid.NewGuid().ToString("N")));
            var spool = new Spool(home, "roundtrip", PhysicalFileSystem.Instance, TimeProvider.System, new DeliveryOptions(), new DeliveryCounters());
            var expected = new Dictionary<Guid, WireEvent>();
            var spooled = new List<Guid>();
            foreach (var generated in events)
            {
                var pending = generated.ToPending();
                var model = Expect(pending, stamp);
                expected.Add(model.Id, model);

                // The SDK's writer, read by the collector as one item, by the reference codec, and as a tool's test reads it.
                var json = serializer.Write(pending, stamp).ToArray();
                Assert.Null(JsonText.Find(json));
                Same(model, ReadItem(json), "SDK writer -> collector reader");
                Same(model, JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.WireEvent)!, "SDK writer -> ProtocolJsonContext");
                Same(model, new RecordedEvent(Encoding.UTF8.GetString(json)).Event, "SDK writer -> RecordedEvent");

                // The reference codec both ways, and into the collector's reader.
                var reference = JsonSerializer.SerializeToUtf8Bytes(model, ProtocolJsonContext.Default.WireEvent);
                Same(model, JsonSerializer.Deserialize(reference, ProtocolJsonContext.Default.WireEvent)!, "ProtocolJsonContext both ways");
                Same(model, ReadItem(reference), "ProtocolJsonContext -> collector reader");

                // The spool takes an event up to the protocol's limit, and only those.
                var fits = json.Length <= ProtocolConstants.MaxEventBytes;
                Assert.Equal(fits, spool.TryWrite(model.Id, json));
                if (fits)
                {
                    spooled.Add(model.Id);
                }
                else
                {
                    Interlocked.Increment(ref tooLarge);
                }
            }

            Interlocked.Add(ref spooledEvents, spooled.Count);

            // SDK writer -> spool -> uploader's batch body (gzip, as sent, and plain) -> collector's batch reader.
            var batch = spool.ReadBatch(ProtocolConstants.MaxEventsPerBatch, ProtocolConstants.MaxDecompressedBytes, new HashSet<string>());
            Assert.Equal(spooled.Order(), batch.Select(e => e.Id).Order());
            SameBatch(expected, ReadBatch(BatchBody.Gzip(batch), gzip: true), spooled, "SDK writer -> spool -> gzip batch body -> collector");
            SameBatch(expected, ReadBatch(BatchBody.Json(batch), gzip: false), spooled, "SDK writer -> spool -> batch body -> collector");

            // Acknowledged, the spooled bytes go to sent.jsonl, which 'candor events' shows as they were sent (the
            // uploader writes it only for a batch it sent, so only where the spool's folder is).
            var sent = new TransparencyLog(home, "roundtrip", PhysicalFileSystem.Instance, new DeliveryOptions());
            if (batch.Count > 0)
            {
                sent.Append(batch, DateTimeOffset.UnixEpoch);
            }

            SameBatch(expected, sent.Read().ToDictionary(e => e.Id, e => ReadItem(Encoding.UTF8.GetBytes(e.Json))), spooled, "SDK writer -> spool -> sent.jsonl -> collector reader");

            // The reference codec's batch -> collector's batch reader.
            var wireBatch = new WireBatch { Events = [.. expected.Values] };
            SameBatch(expected, ReadBatch(Gzip(JsonSerializer.SerializeToUtf8Bytes(wireBatch, ProtocolJsonContext.Default.WireBatch)), gzip: true), [.. expected.Keys], "ProtocolJsonContext batch -> collector");
        }

        Gen.Select(Stamps, Events.Array[1, 6]).Sample(RoundTrip, iter: 120);

        // The limit's route once for certain, beside the samples (whose long texts reach it in most runs, not all): a
        // stamp whose product name alone is past the protocol's limit, with an event that fits.
        var oversized = Stamps.Single();
        RoundTrip(
            new EventStamp(new string('p', ProtocolConstants.MaxEventBytes), oversized.Revision, oversized.Install, oversized.Session, null, WireContextJson.Write(Contexts.Single()), new byte[32], a => a == Own, Manifest.Namespaces),
            [new GeneratedEvent(Bare, DateTimeOffset.UnixEpoch, []), Events.Single()]);

        // The routes through the spool ran, and so did the limit that keeps an event out of it.
        Assert.True(spooledEvents > 0);
        Assert.True(tooLarge > 0);
    }

    [Fact]
    public void ReferenceCodec_AnyModel_ReadsBackTheSameInBothDecoders()
    {
        // What the SDK never writes but a decoder must still read the same: any text in every string, the property
        // names and values included, and nulls where the model allows them.
        var text = HostileText.Any.Where(WellFormed);
        var value = Gen.OneOf(
            text.Select(t => JsonSerializer.SerializeToElement(t)),
            Gen.Bool.Select(b => JsonSerializer.SerializeToElement(b)),
            text.Array[0, 4].Select(items => JsonSerializer.SerializeToElement(items)));
        var models = Gen.Select(Gen.Guid, text, Times, text, Gen.Int, Gen.Guid, Gen.Guid, Contexts, Gen.Null(Map(text, value)), Gen.Null(Map(text, Finite)), Gen.Null(text),
            (id, name, time, product, revision, install, session, context, properties, measurements, verifier) => new WireEvent
            {
                Id = id, Name = name, Time = time, Product = product, Revision = revision, Install = install, Session = session,
                Context = context, Verifier = verifier, Properties = properties, Measurements = measurements,
            });
        models.Sample(model =>
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(model, ProtocolJsonContext.Default.WireEvent);
            Same(model, JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.WireEvent)!, "ProtocolJsonContext both ways");
            Same(model, ReadItem(json), "ProtocolJsonContext -> collector reader");
        }, iter: 300);
    }

    // ---- the generated input ----

    private static readonly Gen<string> Text = HostileText.Any.Where(WellFormed);

    private static readonly Gen<DateTimeOffset> Times = Gen.Select(
        Gen.Long[DateTimeOffset.MinValue.UtcTicks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay],
        Gen.Int[-14 * 60, 14 * 60],
        (ticks, offset) => new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offset)));

    private static readonly Gen<double> Finite = Gen.Frequency(
        (4, Gen.Double.Where(double.IsFinite)),
        (1, Gen.OneOf(0d, -0d, double.Epsilon, double.MaxValue, double.MinValue, 0.1, 1d / 3)));

    // Context texts come from the machine's probes through the grammars, but the writer and the readers take any text.
    private static readonly Gen<WireContext> Contexts = Gen.Select(Text, Text, Text, Text, Text, Gen.Null(Text), Gen.Bool.Array[3], Text,
        (version, os, osVersion, arch, runtime, ci, flags, host) => new WireContext
        {
            Version = version, Os = os, OsVersion = osVersion, Arch = arch, Runtime = runtime, Ci = ci,
            Container = flags[0], Wsl = flags[1], Interactive = flags[2], Host = host,
        });

    private static readonly Gen<EventStamp> Stamps = Gen.Select(Text, Gen.Int, Gen.Guid, Gen.Guid, Gen.Null(Gen.Byte.Array[32].Select(Hex)), Contexts, Gen.Byte.Array[32],
        (product, revision, install, session, verifier, context, key) =>
            new EventStamp(product, revision, install, session, verifier, WireContextJson.Write(context), key, a => a == Own, Manifest.Namespaces));

    private static readonly Gen<GeneratedEvent> Events = Gen.Select(Gen.Bool, Times, Values.Array[0, 16],
        (bare, time, values) => new GeneratedEvent(bare ? Bare : All, time, bare ? [] : values));

    private static Gen<FieldValue> Values => Gen.OneOf(
        Gen.OneOf(Gen.OneOf(All.Find("e")!.Values.ToArray()), Text).Select(v => FieldValue.Text(All.Find("e")!, v)),
        Gen.Bool.Select(v => FieldValue.Numeric(All.Find("b")!, v ? 1 : 0)),
        Finite.Select(v => FieldValue.Numeric(All.Find("k")!, v)),
        Text.Select(v => FieldValue.Text(All.Find("h")!, v)),
        Gen.OneOf(HostileText.Version, Text).Select(v => FieldValue.Text(All.Find("v")!, v)),
        Gen.OneOf(Gen.OneOf("zlib", "ZLIB", "openssl", "OpenSSL"), Text).Select(v => FieldValue.Text(All.Find("n")!, v)),
        Gen.Select(Gen.Int[0, Thrown.Count - 1], Text, (kind, message) => FieldValue.Object(All.Find("s")!, Thrown.Make(kind, message))),
        List("le", Gen.OneOf(Gen.OneOf("a", "b-c", "c"), Text)),
        List("lk", Gen.OneOf(Finite.Select(n => n.ToString("R", CultureInfo.InvariantCulture)), Text)),
        List("lh", Text),
        List("lv", Gen.OneOf(HostileText.Version, Text)),
        List("ln", Gen.OneOf(Gen.OneOf("zlib", "Zlib"), Text)),
        Gen.OneOf("a", "b").Array[0, 1100].Select(items => FieldValue.Object(All.Find("lmax")!, items)),
        Gen.Double[0, PropertyGrammar.MaxDurationMilliseconds].Select(v => FieldValue.Numeric(All.Find("d")!, v)),
        Gen.Double[-1e15, 1e15].Select(v => FieldValue.Numeric(All.Find("m")!, v)));

    private static Gen<Dictionary<string, T>> Map<T>(Gen<string> keys, Gen<T> values) =>
        Gen.Select(keys, values).Array[0, 5].Select(pairs => pairs.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal));

    private static Gen<FieldValue> List(string name, Gen<string> item) =>
        item.Array[0, 5].Select(items => FieldValue.Object(All.Find(name)!, items));

    private sealed record GeneratedEvent(EventDefinition Definition, DateTimeOffset Time, FieldValue[] Values)
    {
        public PendingEvent ToPending()
        {
            var pending = new PendingEvent();
            pending.Start(Definition, Time);
            pending.AssignId();
            foreach (var value in Values)
            {
                pending.Set(value);
            }

            return pending;
        }
    }

    // ---- the expected model: the stamp's members, and each value through its kind's transform ----

    private static WireEvent Expect(PendingEvent pending, EventStamp stamp)
    {
        var utc = pending.Time.UtcTicks;
        var e = new WireEvent
        {
            Id = pending.Id,
            Name = pending.Definition!.Name,
            Time = new DateTimeOffset(utc - (utc % TimeSpan.TicksPerMillisecond), TimeSpan.Zero),
            Product = stamp.Product,
            Revision = stamp.Revision,
            Install = stamp.Install,
            Session = stamp.Session,
            Verifier = stamp.Verifier,
            Context = JsonSerializer.Deserialize(stamp.ContextJson, ProtocolJsonContext.Default.WireContext)!,
        };
        for (var i = 0; i < pending.Count; i++)
        {
            var value = pending.Value(i);
            var field = value.Field;
            if (field.IsMeasurement)
            {
                (e.Measurements ??= new(StringComparer.Ordinal))[field.Name] = value.Number;
                continue;
            }

            e.Properties ??= new(StringComparer.Ordinal);
            object? wire = field.Kind switch
            {
                FieldKind.Bool => value.Number != 0,
                FieldKind.Bucket => field.BucketOf(value.Number),
                FieldKind.Stack => StackSignature.From((Exception)value.Reference!, stamp.IsOwnAssembly, stamp.Namespaces),
                FieldKind.List => ((string[])value.Reference!).Select(raw => Transform(field.Item!, raw, stamp)).OfType<string>().Take(field.MaxItems).ToArray(),
                _ => Transform(field, (string)value.Reference!, stamp),
            };
            if (wire is not null)
            {
                e.Properties[field.Name] = JsonSerializer.SerializeToElement(wire);
            }
        }

        return e;
    }

    private static string? Transform(FieldDefinition field, string raw, EventStamp stamp) => field.Kind switch
    {
        FieldKind.Enum => field.Values.Contains(raw, StringComparer.Ordinal) ? raw : null,
        FieldKind.Hash => KeyedHash.Compute(stamp.HashKey, raw),
        FieldKind.Version => VersionGrammar.Normalize(raw),
        FieldKind.NameOrHash => field.AllowedName(raw) ?? KeyedHash.Compute(stamp.HashKey, raw),
        FieldKind.Bucket => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? field.BucketOf(n) : null,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    // ---- the decoders' routes ----

    private static WireEvent ReadItem(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var (read, problem) = WireEventReader.Read(document.RootElement);
        Assert.Null(problem);

        // The reader's event lives as long as the document: the comparison copies what it needs first.
        return Detached(read!);
    }

    private static Dictionary<Guid, WireEvent> ReadBatch(byte[] body, bool gzip)
    {
        var http = new DefaultHttpContext();
        http.Request.ContentType = ProtocolConstants.MediaType;
        if (gzip)
        {
            http.Request.Headers.ContentEncoding = ProtocolConstants.Encoding;
        }

        http.Request.ContentLength = body.Length;
        http.Request.Body = new MemoryStream(body);
        var (read, bodyProblem) = BatchReader.ReadAsync(http.Request, CancellationToken.None).GetAwaiter().GetResult();
        Assert.Null(bodyProblem);
        using (read)
        {
            using var document = IngestionPipeline.Parse(read!, ProtocolConstants.MaxEventsPerBatch, out var items, out var problem);
            Assert.Null(problem);
            var events = new Dictionary<Guid, WireEvent>();
            foreach (var item in items)
            {
                var (e, path) = WireEventReader.Read(item);
                Assert.Null(path);
                events.Add(e!.Id, Detached(e));
            }

            return events;
        }
    }

    private static WireEvent Detached(WireEvent e)
    {
        if (e.Properties is { } properties)
        {
            e.Properties = properties.ToDictionary(p => p.Key, p => p.Value.Clone(), StringComparer.Ordinal);
        }

        return e;
    }

    private static byte[] Gzip(byte[] json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        return buffer.ToArray();
    }

    // ---- equality on the decoded model ----

    private static void SameBatch(Dictionary<Guid, WireEvent> expected, Dictionary<Guid, WireEvent> read, IEnumerable<Guid> sent, string route)
    {
        Assert.Equal(sent.Order(), read.Keys.Order());
        foreach (var (id, e) in read)
        {
            Same(expected[id], e, route);
        }
    }

    private static void Same(WireEvent expected, WireEvent actual, string route) =>
        Assert.Equal(route + ": " + Describe(expected), route + ": " + Describe(actual));

    // Every member of the model, each text with everything but printable ASCII as its code units, so that two
    // models are the same exactly when their descriptions are.
    private static string Describe(WireEvent e)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"id={e.Id} name={Quote(e.Name)} time={e.Time.UtcTicks}{e.Time.Offset:c} product={Quote(e.Product)} ");
        s.Append(CultureInfo.InvariantCulture, $"revision={e.Revision} install={e.Install} session={e.Session} verifier={Quote(e.Verifier)} context=");
        if (e.Context is { } c)
        {
            s.Append(CultureInfo.InvariantCulture, $"[{Quote(c.Version)} {Quote(c.Os)} {Quote(c.OsVersion)} {Quote(c.Arch)} {Quote(c.Runtime)} {Quote(c.Ci)} ");
            s.Append(CultureInfo.InvariantCulture, $"{c.Container} {c.Wsl} {c.Interactive} {Quote(c.Host)}]");
        }

        s.Append(" properties=");
        if (e.Properties is { } properties)
        {
            s.Append('{');
            foreach (var (name, value) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                s.Append(Quote(name)).Append(':').Append(Value(value)).Append(' ');
            }

            s.Append('}');
        }

        s.Append(" measurements=");
        if (e.Measurements is { } measurements)
        {
            s.Append('{');
            foreach (var (name, value) in measurements.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                s.Append(Quote(name)).Append(':').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append(' ');
            }

            s.Append('}');
        }

        return s.ToString();
    }

    private static string Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Quote(value.GetString()),
        JsonValueKind.True or JsonValueKind.False => value.ValueKind.ToString(),
        JsonValueKind.Array => "[" + string.Join(",", value.EnumerateArray().Select(Value)) + "]",
        _ => value.ValueKind + ":" + value.GetRawText(),
    };

    private static string Quote(string? text) => text is null
        ? "null"
        : "\"" + string.Concat(text.Select(c => c is >= ' ' and <= '~' and not '\\' and not '"' ? c.ToString() : $"\\u{(int)c:x4}")) + "\"";

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static bool WellFormed(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            if (!Rune.TryGetRuneAt(text, i, out var rune))
            {
                return false;
            }

            i += rune.Utf16SequenceLength;
        }

        return true;
    }
}

/// <summary>Exceptions of the shapes a stack signature is made from: thrown here, thrown with a cause, never thrown.</summary>
internal static class Thrown
{
    public const int Count = 3;

    public static Exception Make(int kind, string message)
    {
        try
        {
            switch (kind)
            {
                case 0:
                    throw new InvalidOperationException(message);
                case 1:
                    Throw(message);
                    break;
                default:
                    return new IOException(message);
            }
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new InvalidOperationException("unreachable");
    }

    private static void Throw(string message)
    {
        try
        {
            throw new FormatException(message);
        }
        catch (FormatException cause)
        {
            throw new AggregateException(message, cause);
        }
    }
}
