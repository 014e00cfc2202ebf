using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Candor.Protocol;
using CsCheck;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Tests.Edge;

/// <summary>
/// Drives every route that takes a body (POST, PUT, PATCH, DELETE), as the router lists them, with generated
/// malformed input: random bytes, JSON of the wrong shape or too deep, invalid UTF-8, damaged valid bodies, forms
/// with too many fields, broken multipart, odd charsets and encodings, with and without credentials. The collector
/// must answer each without a 5xx and without hanging, log no error or stack trace, be healthy afterwards, and
/// hold exactly the events it acknowledged.
/// </summary>
public sealed partial class RouteFuzzTests
{
    private static readonly HashSet<string> Writing = ["POST", "PUT", "PATCH", "DELETE"];

    private static readonly string[] Names =
        ["role", "name", "products", "manifest", "retentionMonths", "kThreshold", "install", "events", "id", "token", "returnUrl", "product", "revision", "time", "context"];

    private static readonly string[] ContentTypes =
    [
        "", "application/json", "application/json; charset=utf-8", "application/json; charset=\"utf-8\"", "application/json; charset=utf-16",
        "application/json; charset=", "application/json; charset=\"", "application/problem+json", "text/plain", "text/json; charset=latin1",
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=\"x\"", "multipart/form-data; boundary=b",
        "multipart/form-data", "multipart/form-data; boundary=", "application/octet-stream", "}{", "application/json; q=\"", "*/*",
    ];

    private static readonly string[] Encodings = ["", "", "", "gzip", "gzip (not compressed)", "br", "identity", "gzip, gzip", "x"];

    private static readonly string[] PathValues =
        ["sample", "nope", "SAMPLE", "", " ", "a%00b", "..", "%2e%2e%2f", "é", "\u0000", "%ZZ", new string('p', 300), "0", "-1", "9223372036854775807", "1000", "123456"];

    [Fact]
    public async Task EveryWritingRoute_GivenMalformedInput_AnswersWithoutA5xx_AndStoresOnlyWhatItAcknowledged()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?>
        {
            ["Ingestion:PermitsPerAddress"] = "1000000",
            ["Ingestion:PermitsPerKey"] = "1000000",
        });
        var key = await collector.RegisterAsync();
        var reader = await collector.CreateReaderAsync();
        var routes = WritingRoutes(collector);

        // The list comes from the router, so it cannot be empty by mistake: the routes of every area are in it.
        foreach (var expected in new[] { ProtocolConstants.BatchPath, ProtocolConstants.DeletePath, "/admin/tokens", "/admin/products/", "/dashboard/sign-in", "/dashboard/sign-out" })
        {
            Assert.Contains(routes, r => r.Pattern == expected);
        }

        var cookies = new CookieContainer();
        // Latin-1 headers, so that a header with a byte that is not ASCII reaches the collector as a client could send it.
        using var session = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false, RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1 })
        {
            BaseAddress = collector.BaseAddress,
            Timeout = TimeSpan.FromMinutes(2),
        };
        await MalformedFormTests.SignInAsync(session, TestCollector.AdminToken);

        var valid = ValidBodies(key);
        var gen = Gen.Int[0, routes.Count - 1].SelectMany(route => Gen.Select(
                Gen.Enum<Credentials>(), Bodies(valid, Fitting(routes[route], valid)), Mostly(1, ContentTypes.Length), Mostly(0, Encodings.Length), Gen.Int[0, PathValues.Length - 1].Array[3])
            .Select((credentials, body, type, encoding, values) => new Attempt(routes[route], credentials, body, ContentTypes[type], Encodings[encoding], values.Select(v => PathValues[v]).ToArray())));
        var statuses = new ConcurrentDictionary<int, int>();
        long acknowledged = 0;

        await gen.SampleAsync(async attempt =>
        {
            using var request = attempt.ToRequest(key, reader);
            var response = await session.SendAsync(request);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status < 500, $"{status} {text}");
            if (status == 200 && attempt.Route.Pattern == ProtocolConstants.BatchPath)
            {
                acknowledged += JsonNode.Parse(text)!["accepted"]!.GetValue<int>();
            }
        }, iter: 1500, threads: 1, print: a => a.ToString());

        // Both refusals and acceptances were exercised, on bodies that reached the endpoints, not only at the door.
        Assert.True(statuses.Keys.Count(s => s is >= 400 and < 500) >= 4, string.Join(", ", statuses.OrderBy(s => s.Key)));
        Assert.True(statuses.Keys.Any(s => s is >= 200 and < 300), string.Join(", ", statuses.OrderBy(s => s.Key)));

        using var plain = collector.Client();
        var health = await plain.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(acknowledged, await collector.Store.CountRawEventsAsync(Some.Product, CancellationToken.None));

        // And ingestion still stores what it acknowledges, so the count above was not equal by doing nothing.
        var after = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [Some.Install(), Some.Failed()]));
        Assert.Equal(2, after.Accepted);
        Assert.Equal(acknowledged + 2, await collector.Store.CountRawEventsAsync(Some.Product, CancellationToken.None));
        Assert.DoesNotContain(collector.Logs, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));
        Assert.DoesNotContain(collector.Logs, line => line.Contains("   at ", StringComparison.Ordinal));
    }

    private enum Credentials
    {
        /// <summary>The admin token, the ingestion key and the session cookie: every route reads its body.</summary>
        All,
        AllAgain,
        AllOnceMore,
        None,
        ReaderAndKey,
        Garbage,
    }

    internal sealed record Route(string Method, string Pattern);

    private static List<Route> WritingRoutes(TestCollector collector) =>
    [
        .. collector.Endpoints
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => new Route(m, e.RoutePattern.RawText ?? "")))
            .Where(r => Writing.Contains(r.Method))
            .Distinct()
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal),
    ];

    // An index that is often the usual one (JSON, no encoding), so that bodies get past the media type to the endpoint.
    private static Gen<int> Mostly(int usual, int count) => Gen.Frequency((2, Gen.Const(usual)), (3, Gen.Int[0, count - 1]));

    private static byte[][] ValidBodies(string key)
    {
        var batch = JsonSerializer.SerializeToUtf8Bytes(new WireBatch { Events = [Some.Install(), Some.Failed(), Some.Crash("System.IO.IOException at Sample.Cli.Run")] }, ProtocolJsonContext.Default.WireBatch);
        var manifest = new JsonObject { ["manifest"] = JsonNode.Parse(Some.ManifestJson), ["kThreshold"] = 5 }.ToJsonString();
        return
        [
            batch,
            Encoding.UTF8.GetBytes(manifest),
            """{"role":"reader","name":"fuzz","products":["sample"]}"""u8.ToArray(),
            """{"retentionMonths":12,"kThreshold":3}"""u8.ToArray(),
            """{"install":"0b8f3f0e-4b7e-4a53-9d43-4c1d2a7b9e10"}"""u8.ToArray(),
            """{"name":"ci"}"""u8.ToArray(),
            Encoding.ASCII.GetBytes($"token={Uri.EscapeDataString(key)}&returnUrl=%2Fdashboard"),
        ];
    }

    // The valid body that fits a route best (a batch for the batch route, a manifest for registration, …).
    private static byte[] Fitting(Route route, byte[][] valid) => route.Pattern switch
    {
        ProtocolConstants.BatchPath => valid[0],
        ProtocolConstants.DeletePath => valid[4],
        "/admin/products/" => valid[1],
        "/admin/tokens" => valid[2],
        _ when route.Method == "PATCH" => valid[3],
        _ when route.Pattern.StartsWith("/dashboard", StringComparison.Ordinal) => valid[6],
        _ => valid[5],
    };

    private static Gen<byte[]> Bodies(byte[][] valid, byte[] fitting)
    {
        var damage = Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Byte);
        var invalidUtf8 = Gen.OneOf<byte[]>([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]);
        return Gen.Frequency(
            (3, Gen.Const(fitting)),
            (1, Gen.Int[0, valid.Length - 1].Select(i => valid[i])),
            (3, Gen.Byte.Array[0, 600]),
            (6, Json(4).Select(Encoding.UTF8.GetBytes)),
            (2, Gen.Select(Gen.Int[0, valid.Length - 1], damage.Array[0, 4]).Select((i, d) => Damage(valid[i], d))),
            (2, Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Int[0, int.MaxValue], invalidUtf8).Select((i, at, bad) => Insert(valid[i], at, bad))),
            (1, Gen.Select(Gen.Int[1, 3000], Gen.OneOf<string>("[", "{\"a\":", "[{\"events\":")).Select((n, open) => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(open, n))))),
            (1, Gen.Int[1, 3000].Select(n => Encoding.ASCII.GetBytes(string.Join('&', Enumerable.Range(0, n).Select(i => $"f{i}=%{(i % 7 == 0 ? "zz" : "41")}"))))),
            (1, Gen.OneOf<byte[]>(
                "--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nx\r\n--b"u8.ToArray(),
                "--b\r\nContent-Disposition: form-data; name=\"token\"; filename=\"t\"\r\n\r\nx\r\n--b--\r\n"u8.ToArray(),
                "--b\r\n\r\n\r\n--b--"u8.ToArray(),
                "--c\r\nx"u8.ToArray())),
            (1, Gen.Int[1, 5].Select(mb => Encoding.ASCII.GetBytes("{\"name\":\"" + new string('a', mb * 1024 * 1024) + "\"}"))));
    }

    // JSON of any shape with the names the collector's bodies use, and values that are wrong for them.
    private static Gen<string> Json(int depth)
    {
        var scalar = Gen.Frequency(
            (3, Gen.OneOf<string>("0", "-1", "1e400", "-1e400", "12345678901234567890123", "1.5", "true", "false", "null", "\"\"", "\"reader\"", "\"admin\"",
                "\"sample\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\x\"", "\"\u0001\"", "\"0b8f3f0e-4b7e-4a53-9d43-4c1d2a7b9e10\"", "NaN", "\"2026-03-10T12:00:00Z\"")),
            (1, Gen.String[0, 40].Select(s => JsonSerializer.Serialize(s))),
            (1, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        if (depth == 0)
        {
            return scalar;
        }

        var inner = Json(depth - 1);
        var name = Gen.Frequency((4, Gen.OneOf<string>(Names)), (1, Gen.String[0, 12]));
        return Gen.Frequency(
            (3, scalar),
            (2, inner.Array[0, 4].Select(items => "[" + string.Join(',', items) + "]")),
            (4, Gen.Select(name, inner).Array[0, 6].Select(members => "{" + string.Join(',', members.Select(m => JsonSerializer.Serialize(m.Item1) + ":" + m.Item2)) + "}")));
    }

    private static byte[] Damage(byte[] body, (int Kind, int Position, byte Value)[] damages)
    {
        var bytes = new List<byte>(body);
        foreach (var (kind, position, value) in damages)
        {
            if (bytes.Count == 0)
            {
                break;
            }

            var at = position % bytes.Count;
            switch (kind)
            {
                case 0: bytes[at] = value; break;
                case 1: bytes.Insert(at, value); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }

        return [.. bytes];
    }

    // Invalid UTF-8 put inside the first string at or after a position, where a reader of text meets it.
    private static byte[] Insert(byte[] body, int position, byte[] bad)
    {
        var quote = Array.IndexOf(body, (byte)'"', position % body.Length);
        var at = quote < 0 ? position % body.Length : quote + 1;
        return [.. body[..at], .. bad, .. body[at..]];
    }

    private sealed partial record Attempt(Route Route, Credentials Credentials, byte[] Body, string ContentType, string Encoding, string[] Values)
    {
        public string Path
        {
            get
            {
                var next = 0;
                return Parameter().Replace(Route.Pattern, _ => Uri.EscapeDataString(Values[next++ % Values.Length]));
            }
        }

        public HttpRequestMessage ToRequest(string key, string reader)
        {
            var request = new HttpRequestMessage(new HttpMethod(Route.Method), Path);
            var body = Encoding == "gzip" ? TestCollector.Gzip(Body) : Body;
            request.Content = new ByteArrayContent(body);

            // A large body waits for the collector's go-ahead, as careful clients send one: a refusal answered before
            // the body is read (no credentials, say) then reaches the client instead of a reset in mid-upload.
            request.Headers.ExpectContinue = body.Length > 64 * 1024;
            request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType.Length == 0 ? null : ContentType);
            if (ContentType.Length == 0)
            {
                request.Content.Headers.ContentType = null;
            }

            if (Encoding.Length > 0)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Encoding", Encoding == "gzip (not compressed)" ? "gzip" : Encoding);
            }

            switch (Credentials)
            {
                case Credentials.None:
                    request.Headers.Add("Cookie", "candor_session=x");
                    break;
                case Credentials.ReaderAndKey:
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reader);
                    request.Headers.Add(ProtocolConstants.KeyHeader, key);
                    break;
                case Credentials.Garbage:
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer \u00ff" + key);
                    request.Headers.TryAddWithoutValidation(ProtocolConstants.KeyHeader, "x" + key);
                    break;
                default:
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestCollector.AdminToken);
                    request.Headers.Add(ProtocolConstants.KeyHeader, key);
                    break;
            }

            return request;
        }

        public override string ToString() =>
            $"{Route.Method} {Path} ({Credentials}) Content-Type: '{ContentType}' Content-Encoding: '{Encoding}' {Body.Length} bytes: "
            + System.Text.Encoding.Latin1.GetString(Body, 0, Math.Min(Body.Length, 300));

        [GeneratedRegex(@"\{[^}]*\}")]
        private static partial Regex Parameter();
    }
}
