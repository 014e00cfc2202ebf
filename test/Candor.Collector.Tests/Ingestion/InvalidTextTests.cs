using System.Net;
using System.Net.Http.Json;
using System.Text;
using Candor.Protocol;

namespace Candor.Collector.Tests.Ingestion;

/// <summary>
/// Items whose strings or member names are not valid Unicode text: raw bytes that are not UTF-8, and escapes that
/// name half of a surrogate pair. One such byte in one spooled event must cost that event only, never the batch.
/// </summary>
public class InvalidTextTests
{
    // Each case turns the serialized good event into a bad one by replacing one piece of its text with bytes.
    public static TheoryData<string, bool> Cases
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var name in Corruptions.Keys)
            {
                data.Add(name, true);
                data.Add(name, false);
            }

            return data;
        }
    }

    private const string NotUtf8 = "bytes that are not UTF-8";
    private const string Half = "an unpaired surrogate escape (\\uD800-\\uDFFF)";

    // The place the detail names, as docs/protocol.md shows it.
    private static readonly Dictionary<string, (string Find, byte[] Replace, string Detail)> Corruptions = new()
    {
        ["raw 0xFF in a string value"] = ("\"x64-linux\"", Bytes("\"x64", [0xFF], "linux\""), $"the string at $.properties.triplet holds {NotUtf8}"),
        ["lone high surrogate escape in a string value"] = ("\"x64-linux\"", Bytes("\"x64\\ud800linux\""), $"the string at $.properties.triplet holds {Half}"),
        ["lone low surrogate escape in a string value"] = ("\"x64-linux\"", Bytes("\"x64\\uDC00linux\""), $"the string at $.properties.triplet holds {Half}"),
        ["high surrogate escape followed by another escape"] = ("\"x64-linux\"", Bytes("\"x64\\ud800\\u0041\""), $"the string at $.properties.triplet holds {Half}"),
        ["high surrogate escape at the end of a string"] = ("\"x64-linux\"", Bytes("\"x64\\ud800\""), $"the string at $.properties.triplet holds {Half}"),
        ["surrogate escapes in the wrong order"] = ("\"x64-linux\"", Bytes("\"\\udc00\\ud800\""), $"the string at $.properties.triplet holds {Half}"),
        ["overlong encoding 0xC0 0xAF"] = ("\"x64-linux\"", Bytes("\"x64", [0xC0, 0xAF], "linux\""), $"the string at $.properties.triplet holds {NotUtf8}"),
        ["surrogate encoded as UTF-8"] = ("\"x64-linux\"", Bytes("\"x64", [0xED, 0xA0, 0x80], "\""), $"the string at $.properties.triplet holds {NotUtf8}"),
        ["sequence cut short before the closing quote"] = ("\"x64-linux\"", Bytes("\"x64", [0xE2, 0x82], "\""), $"the string at $.properties.triplet holds {NotUtf8}"),
        ["raw 0xFF in a property name"] = ("\"triplet\"", Bytes("\"trip", [0xFF], "let\""), $"a member name in $.properties holds {NotUtf8}"),
        ["lone surrogate escape in a property name"] = ("\"triplet\"", Bytes("\"\\ud800\""), $"a member name in $.properties holds {Half}"),
        ["raw 0xFF in a measurement name"] = ("\"retries\"", Bytes("\"retr", [0xFF], "es\""), $"a member name in $.measurements holds {NotUtf8}"),
        ["raw 0xFF in a member name of the event"] = ("\"session\"", Bytes("\"sess", [0xFF], "on\""), $"a member name in $ holds {NotUtf8}"),
        ["lone surrogate escape starting a member name of the event"] = ("\"name\":", Bytes("\"\\uDEF0name\":"), $"a member name in $ holds {Half}"),
        ["lone high surrogate escape before a member name of the event"] = ("\"product\":", Bytes("\"\\uDB00product\":"), $"a member name in $ holds {Half}"),
        ["lone surrogate escape in a member name of the context"] = ("\"osVersion\"", Bytes("\"os\\udfffVersion\""), $"a member name in $.context holds {Half}"),
        ["raw 0xFF in a context value"] = ("\"ubuntu 22.04\"", Bytes("\"ubuntu", [0xFF], "22.04\""), $"the string at $.context.osVersion holds {NotUtf8}"),
        ["lone surrogate escape in the event name"] = ("\"install\"", Bytes("\"inst\\ud800all\""), $"the string at $.name holds {Half}"),
        ["raw 0xFF in a list item"] = ("\"zlib\"", Bytes("\"zl", [0xFF], "b\""), $"the string at $.properties.packages[0] holds {NotUtf8}"),
        ["lone surrogate escape in the time"] = ("\"time\":\"", Bytes("\"time\":\"\\ud800"), $"the string at $.time holds {Half}"),
        ["raw 0xFF in the install id"] = ("\"install\":\"", Bytes("\"install\":\"", [0xFF]), $"the string at $.install holds {NotUtf8}"),
        ["raw 0xFF in an unknown member"] = ("\"name\":", Bytes("\"note\":\"", [0xFF], "\",\"name\":"), $"the string at $.note holds {NotUtf8}"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Batch_ItemWithInvalidText_IsRejectedByIndexAndTheRestStored(string corruption, bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var (find, replace, detail) = Corruptions[corruption];
        var (first, bad, last) = (Some.Install(), Some.Install(), Some.Install());

        var response = await collector.PostRawAsync(key, Batch(Json(first), Replace(Json(bad), find, replace), Json(last)), gzip);

        var answer = await TestCollector.ReadBatchAsync(response);
        Assert.Equal(2, answer.Accepted);
        var rejection = Assert.Single(answer.Rejected);
        Assert.Equal((1, bad.Id, RejectionReasons.Malformed), (rejection.Index, rejection.Id, rejection.Reason));
        Assert.Equal("the item is not valid text: " + detail, rejection.Detail);
        await AssertStoredAsync(collector, [first.Id, last.Id], [bad.Id]);
        AssertNoErrorLogged(collector);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Batch_CrashWithLoneSurrogateInTheStack_IsRejectedByIndexAndTheRestStored(bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var (first, bad, last) = (Some.Install(), Some.Crash("System.IO.IOException at Sample.Cli.Run"), Some.Crash("System.IO.IOException at Sample.Cli.Run"));

        var response = await collector.PostRawAsync(key, Batch(Json(first), Replace(Json(bad), "IOException", Bytes("IO\\ud83dException")), Json(last)), gzip);

        var answer = await TestCollector.ReadBatchAsync(response);
        Assert.Equal(2, answer.Accepted);
        Assert.Equal([(1, bad.Id, RejectionReasons.Malformed)], answer.Rejected.Select(r => (r.Index, r.Id, r.Reason)));
        await AssertStoredAsync(collector, [first.Id, last.Id], [bad.Id]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Batch_ValidSurrogatePairAndMultiByteText_AreNotTakenForInvalidText(bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var (escaped, raw) = (Some.Install(), Some.Install());

        // Both are well-formed text; the collector then refuses them for what they say, as any other value.
        var response = await collector.PostRawAsync(key, Batch(
            Replace(Json(escaped), "\"x64-linux\"", Bytes("\"x64\\ud83d\\ude00\"")),
            Replace(Json(raw), "\"x64-linux\"", Bytes("\"x64-lïnux-😀\""))), gzip);

        var answer = await TestCollector.ReadBatchAsync(response);
        Assert.Equal(
            [(0, escaped.Id, RejectionReasons.InvalidValue), (1, raw.Id, RejectionReasons.InvalidValue)],
            answer.Rejected.Select(r => (r.Index, r.Id, r.Reason)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Batch_ItemWhoseIdIsNotValidText_IsRejectedByIndexWithoutId(bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var (first, bad, worse, last) = (Some.Install(), Some.Install(), Some.Install(), Some.Install());
        var id = $"\"id\":\"{bad.Id}\"";
        var otherId = $"\"id\":\"{worse.Id}\"";

        var response = await collector.PostRawAsync(key, Batch(
            Json(first),
            Replace(Json(bad), id, Bytes(id[..10], [0xFF], id[11..])),
            Replace(Json(worse), otherId, Bytes(otherId[..10] + "\\ud800" + otherId[14..])),
            Json(last)), gzip);

        var answer = await TestCollector.ReadBatchAsync(response);
        Assert.Equal(2, answer.Accepted);
        Assert.Equal([(1, (Guid?)null, RejectionReasons.Malformed), (2, null, RejectionReasons.Malformed)], answer.Rejected.Select(r => (r.Index, r.Id, r.Reason)));
        await AssertStoredAsync(collector, [first.Id, last.Id], [bad.Id, worse.Id]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Batch_EncodedAsLatin1_RejectsTheItemsWithNonAsciiTextAndStoresTheRest(bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var (first, bad, last) = (Some.Install(), Some.Install(), Some.Install());
        var accented = Encoding.UTF8.GetString(Json(bad)).Replace("ubuntu 22.04", "ubuntu 22.04 (édition française)", StringComparison.Ordinal);
        var text = $$"""{"events":[{{Encoding.UTF8.GetString(Json(first))}},{{accented}},{{Encoding.UTF8.GetString(Json(last))}}]}""";

        var response = await collector.PostRawAsync(key, Encoding.Latin1.GetBytes(text), gzip);

        var answer = await TestCollector.ReadBatchAsync(response);
        Assert.Equal(2, answer.Accepted);
        Assert.Equal([(1, bad.Id, RejectionReasons.Malformed)], answer.Rejected.Select(r => (r.Index, r.Id, r.Reason)));
        await AssertStoredAsync(collector, [first.Id, last.Id], [bad.Id]);
    }

    [Theory]
    [InlineData("{\"\\ud800\":1,\"events\":[{0}]}", true)]
    [InlineData("{\"\\ud800\":1,\"events\":[{0}]}", false)]
    [InlineData("{\"ver\u00ffsion\":\"\u00ff\",\"events\":[{0}],\"\\udc00\":\"\\ud800\"}", true)]
    [InlineData("{\"ver\u00ffsion\":\"\u00ff\",\"events\":[{0}],\"\\udc00\":\"\\ud800\"}", false)]
    [InlineData("{\"events\":[{0}],\"\\uDEF0\":1,\"\\uDB00events\":1}", true)]
    [InlineData("{\"events\":[{0}],\"\\uDEF0\":1,\"\\uDB00events\":1}", false)]
    public async Task Batch_EnvelopeMemberWithInvalidText_DoesNotHideTheEvents(string envelope, bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var good = Some.Install();
        var parts = envelope.Split("{0}");

        // \u00ff stands for the raw byte 0xFF: Latin-1 writes it as that one byte.
        var response = await collector.PostRawAsync(key, [.. Encoding.Latin1.GetBytes(parts[0]), .. Json(good), .. Encoding.Latin1.GetBytes(parts[1])], gzip);

        var answer = await TestCollector.ReadBatchAsync(response);
        Assert.Equal((1, 0), (answer.Accepted, answer.Rejected.Count));
        await AssertStoredAsync(collector, [good.Id], []);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Batch_EventsNameSpelledWithInvalidText_Is400Malformed(bool gzip)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();

        var raw = await collector.PostRawAsync(key, [.. "{\"even"u8, 0xFF, .. "s\":[]}"u8], gzip);
        var response = await collector.PostRawAsync(key, "{\"\\uDA28vents\":[]}"u8.ToArray(), gzip);

        Assert.Equal(HttpStatusCode.BadRequest, raw.StatusCode);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(RejectionReasons.Malformed, (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ProblemResponse))!.Reason);
    }

    [Theory]
    [InlineData("X-Candor-Key: candor_ingest_\u00ff\u00fe")]
    [InlineData("Content-Type: application/json; charset=\u00ff")]
    [InlineData("Content-Encoding: gz\u00ffip")]
    public async Task Batch_HeaderWithBytesThatAreNotAscii_IsA4xx(string header)
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var body = Batch(Json(Some.Install()));
        var name = header[..header.IndexOf(':', StringComparison.Ordinal)];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Host"] = collector.BaseAddress.Authority,
            ["X-Candor-Key"] = key,
            ["Content-Type"] = "application/json",
            ["Content-Length"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Connection"] = "close",
        };

        var clean = await SendOverSocketAsync(collector, headers, body);
        headers[name] = header[(name.Length + 2)..];
        var damaged = await SendOverSocketAsync(collector, headers, body);

        Assert.Equal(200, clean);
        Assert.InRange(damaged, 400, 499);
        AssertNoErrorLogged(collector);
    }

    internal static byte[] Json(WireEvent e) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(e, ProtocolJsonContext.Default.WireEvent);

    internal static byte[] Batch(params byte[][] items)
    {
        var body = new List<byte>("{\"events\":["u8.ToArray());
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0)
            {
                body.Add((byte)',');
            }

            body.AddRange(items[i]);
        }

        body.AddRange("]}"u8.ToArray());
        return [.. body];
    }

    internal static async Task AssertStoredAsync(TestCollector collector, Guid[] stored, Guid[] notStored)
    {
        var raw = await collector.Store.ReadRawAsync(new(Some.Product, new(2000, 1, 1), new(2100, 1, 1)), 1000, default);
        var ids = raw.Select(e => e.Id).ToHashSet();
        Assert.All(stored, id => Assert.Contains(id, ids));
        Assert.All(notStored, id => Assert.DoesNotContain(id, ids));
    }

    // An unhandled exception is logged at Error with its stack trace; client input must never get there.
    internal static void AssertNoErrorLogged(TestCollector collector) =>
        Assert.DoesNotContain(collector.Logs, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));

    // HttpClient refuses to send a header that is not ASCII, so the request goes over a plain socket, one byte per character.
    private static async Task<int> SendOverSocketAsync(TestCollector collector, Dictionary<string, string> headers, byte[] body)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(collector.BaseAddress.Host, collector.BaseAddress.Port);
        var stream = socket.GetStream();
        var head = $"POST {ProtocolConstants.BatchPath} HTTP/1.1\r\n" + string.Concat(headers.Select(h => $"{h.Key}: {h.Value}\r\n")) + "\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head));
        await stream.WriteAsync(body);
        var answer = await new StreamReader(stream, Encoding.Latin1).ReadToEndAsync();
        return int.Parse(answer.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Replace(byte[] json, string find, byte[] replace)
    {
        var at = json.AsSpan().IndexOf(Encoding.UTF8.GetBytes(find));
        Assert.True(at >= 0, $"'{find}' is not in the event");
        return [.. json.AsSpan(0, at), .. replace, .. json.AsSpan(at + Encoding.UTF8.GetByteCount(find))];
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Bytes(string before, byte[] raw, string after = "") => [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];
}
