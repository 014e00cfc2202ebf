using System.Text;
using System.Text.Json;
using Candor.Json;
using CsCheck;

namespace Candor.Tests.Json;

/// <summary>
/// <see cref="JsonScanner"/> held to <see cref="Utf8JsonReader"/>: the same tokens with the same values for any
/// document, and a refusal where the reader refuses, with and without comments and trailing commas.
/// </summary>
public sealed class JsonScannerTests
{
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[Gen.Char['a', 'z'], 0, 8],
        Gen.String[Gen.Char.AlphaNumeric, 0, 8],
        Gen.OneOf<string>("", "é", "日本", "😀", "a\"b", "back\\slash", "tab\there", "line\nbreak", "\u0001", "\ud83d\ude00", "\u2028"));

    private static readonly Gen<string> Number = Gen.OneOf(
        Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Long.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.OneOf<string>("0", "-0", "1.5", "2.50", "1e3", "1E+3", "-1.25e-7", "123456789012345678901234567890", "1e400", "0.000001"));

    // Any JSON value as text, with varied whitespace and (when hand-edited) comments and trailing commas.
    private static Gen<string> Value(int depth, bool handEdited)
    {
        var space = handEdited ? Gen.OneOf<string>("", " ", "\n  ", " /* note */ ", "// line\n") : Gen.OneOf<string>("", " ", "\n  ", "\t");
        var comma = handEdited ? Gen.OneOf<string>("", ",") : Gen.Const("");
        var scalar = Gen.OneOf(
            Text.Select(t => JsonSerializer.Serialize(t)),
            Number,
            Gen.OneOf<string>("true", "false", "null", "\"2026-12-07T06:20:13.0486434+00:00\"", "\"8f2b0a4e-1d3c-4f5e-9a7b-6c5d4e3f2a1b\"", "\"\\u00e9\\ud83d\\ude00\""));
        if (depth == 0)
        {
            return scalar;
        }

        var inner = Value(depth - 1, handEdited);
        var array = Gen.Select(inner.List[0, 4], space, comma).Select((items, s, c) => "[" + s + string.Join("," + s, items) + (items.Count > 0 ? c : "") + s + "]");
        var obj = Gen.Select(Gen.Select(Text, inner).List[0, 4], space, comma)
            .Select((members, s, c) => "{" + s + string.Join("," + s, members.Select(m => JsonSerializer.Serialize(m.Item1) + s + ":" + s + m.Item2)) + (members.Count > 0 ? c : "") + s + "}");
        return Gen.Frequency<string>((2, scalar), (1, array), (2, obj));
    }

    [Fact]
    public void ValidDocuments_SameTokensAsUtf8JsonReader()
    {
        Gen.Select(Gen.Bool, Gen.Bool).SelectMany((handEdited, _) => Value(3, handEdited).Select(v => (handEdited, v)))
            .Sample(c => AssertSame(Tokens(c.v, c.handEdited, reference: true), Tokens(c.v, c.handEdited, reference: false)), iter: 3000);
    }

    [Fact]
    public void BrokenDocuments_RefusedWhereUtf8JsonReaderRefusesThem()
    {
        // A valid document with one byte replaced, inserted or removed: mostly malformed, sometimes still valid.
        var edits = Gen.OneOf<byte>((byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'"', (byte)'\\', (byte)'/', (byte)'*', (byte)'0', (byte)'-', (byte)'.', (byte)'e', (byte)'t', (byte)' ', (byte)0x01, (byte)0xC3, (byte)0xFF);
        Gen.Select(Gen.Bool, Value(3, handEdited: true), Gen.Int[0, 2], Gen.Int[0, 1000], edits).Sample((handEdited, text, kind, at, edit) =>
        {
            var bytes = Encoding.UTF8.GetBytes(text).ToList();
            var position = bytes.Count == 0 ? 0 : at % bytes.Count;
            switch (kind)
            {
                case 0 when bytes.Count > 0:
                    bytes[position] = edit;
                    break;
                case 1:
                    bytes.Insert(position, edit);
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(position);
                    break;
            }

            var json = bytes.ToArray();
            AssertSame(Tokens(json, handEdited, reference: true), Tokens(json, handEdited, reference: false));
        }, iter: 5000);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("{\"a\":1}", true)]
    [InlineData("{\"a\":1,}", false)]
    [InlineData("[1,2,]", false)]
    [InlineData("{\"a\":1} x", false)]
    [InlineData("{\"a\":01}", false)]
    [InlineData("\"\\ud800\"", false)]
    [InlineData("{\"a\" 1}", false)]
    [InlineData("[\"a\" \"b\"]", false)]
    [InlineData("/* c */ {}", false)]
    public void Examples_AsUtf8JsonReader(string json, bool strictValid)
    {
        AssertSame(Tokens(json, handEdited: false, reference: true), Tokens(json, handEdited: false, reference: false));
        Assert.Equal(strictValid, !Tokens(json, handEdited: false, reference: false)[^1].StartsWith("refused", StringComparison.Ordinal));
    }

    [Fact]
    public void DeepNesting_RefusedBeyond64_AsUtf8JsonReader()
    {
        var deep = new string('[', 65) + new string(']', 65);
        var fine = new string('[', 64) + new string(']', 64);
        Assert.Equal("refused", Tokens(deep, false, reference: false)[^1]);
        AssertSame(Tokens(fine, false, reference: true), Tokens(fine, false, reference: false));
    }

    [Fact]
    public void Dates_TakenAndRefusedAsUtf8JsonReaderDoes()
    {
        var seeds = Gen.OneOf<string>("2026-12-07T06:20:13.0486434+00:00", "2026-12-07T06:20:13Z", "2026-12-07", "2026-12-07T06:20", "2026-12-07T06:20:13.5-05:30", "2024-02-29T23:59:59.9999999+14:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59.9999999-01:00");
        var edit = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 64], Gen.OneOf<char>('0', '1', '2', '9', '-', '+', ':', '.', 'T', 'Z', 't', ' '));
        Gen.Select(seeds, edit.Array[0, 3]).Sample((seed, edits) =>
        {
            var text = new StringBuilder(seed);
            foreach (var (kind, at, c) in edits)
            {
                var i = at % text.Length;
                _ = kind switch { 0 => text.Remove(i, 1), 1 => text.Insert(i, c), _ => text.Replace(text[i], c, i, 1) };
            }

            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(text.ToString()));
            var reader = new Utf8JsonReader(json);
            reader.Read();
            var scanner = new JsonScanner(json);
            scanner.Read();
            var expected = reader.TryGetDateTimeOffset(out var x);
            Assert.Equal(expected, scanner.TryGetDateTimeOffset(out var y));
            Assert.Equal((x, x.Offset), (y, y.Offset));
        }, iter: 20000);
    }

    [Fact]
    public void SkipValue_ReturnsTheValuesText_AndGoesOnAfterIt()
    {
        var scanner = new JsonScanner("{\"a\": [1, {\"b\": 2}] , \"c\": \"d\"}"u8);
        scanner.Read();
        scanner.Read();
        Assert.Equal("[1, {\"b\": 2}]", Encoding.UTF8.GetString(scanner.SkipValue()));
        Assert.True(scanner.Read());
        Assert.True(scanner.ValueTextEquals("c"u8));
    }

    // The same tokens; or both refuse the document (the reader may return a literal or number before refusing what
    // follows it, where the scanner refuses at once: either way the file is not read).
    private static void AssertSame(List<string> reference, List<string> scanner)
    {
        if (reference[^1] == "refused" || scanner[^1] == "refused")
        {
            Assert.True(reference[^1] == scanner[^1], $"reader: {string.Join(" | ", reference)}\nscanner: {string.Join(" | ", scanner)}");
            return;
        }

        Assert.Equal(reference, scanner);
    }

    private static List<string> Tokens(string json, bool handEdited, bool reference) => Tokens(Encoding.UTF8.GetBytes(json), handEdited, reference);

    // The token stream as text: kind and value (strings unescaped, numbers as written, dates and GUIDs where they
    // parse), ending with "refused" where the document is refused. Refusal of a string's value (a lone surrogate
    // escaped) counts as refusal of the document, as the codecs treat it.
    private static List<string> Tokens(byte[] json, bool handEdited, bool reference)
    {
        var tokens = new List<string>();
        try
        {
            if (reference)
            {
                var reader = new Utf8JsonReader(json, handEdited ? JsonValues.HandEdited : default);
                while (reader.Read())
                {
                    tokens.Add(reader.TokenType switch
                    {
                        JsonTokenType.PropertyName => "name " + reader.GetString(),
                        JsonTokenType.String => "string " + reader.GetString() + Extra(reader.TryGetGuid(out var g), g, reader.TryGetDateTimeOffset(out var d), d),
                        JsonTokenType.Number => "number " + Encoding.UTF8.GetString(reader.ValueSpan) + " " + (reader.TryGetInt32(out var i) ? i : "-"),
                        _ => reader.TokenType.ToString(),
                    });
                }

                if (tokens.Count == 0)
                {
                    tokens.Add("refused");
                }
            }
            else
            {
                var scanner = new JsonScanner(json, handEdited);
                while (scanner.Read())
                {
                    tokens.Add(scanner.TokenType switch
                    {
                        JsonToken.PropertyName => "name " + scanner.GetString(),
                        JsonToken.String => "string " + scanner.GetString() + Extra(scanner.TryGetGuid(out var g), g, scanner.TryGetDateTimeOffset(out var d), d),
                        JsonToken.Number => "number " + Encoding.UTF8.GetString(scanner.ValueSpan) + " " + (scanner.TryGetInt32(out var i) ? i : "-"),
                        var other => other.ToString(),
                    });
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            tokens.Add("refused");
        }

        return tokens;
    }

    private static string Extra(bool isGuid, Guid guid, bool isDate, DateTimeOffset date) =>
        (isGuid ? " guid " + guid : "") + (isDate ? " date " + date.UtcTicks : "");
}
