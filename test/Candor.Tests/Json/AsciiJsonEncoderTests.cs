using System.Text;
using System.Text.Json;
using Candor.Json;

namespace Candor.Tests.Json;

public sealed class AsciiJsonEncoderTests
{
    private static readonly JsonWriterOptions Options = new() { Encoder = AsciiJsonEncoder.Instance };

    [Theory]
    [InlineData("plain text <1000> & 'quotes' + `ticks`")]
    [InlineData("\"quoted\" back\\slash")]
    [InlineData("line\nbreak\rreturn\ttab\bback\fform\u0000nul\u001fus\u007fdel")]
    [InlineData("café naïve – “typographic”")]
    [InlineData("emoji 😀 and 𝄞 beyond the first plane")]
    [InlineData("")]
    public void Write_AnyText_IsAsciiAndReadsBackExactly(string text)
    {
        var fromString = Write(writer => writer.WriteString("value"u8, text));
        var fromUtf8 = Write(writer => writer.WriteString("value"u8, Encoding.UTF8.GetBytes(text)));
        var asName = Write(writer => writer.WriteNumber(text, 1));

        foreach (var json in new[] { fromString, fromUtf8, asName })
        {
            Assert.All(json, b => Assert.InRange(b, 0x20, 0x7E));
        }

        Assert.Equal(text, JsonDocument.Parse(fromString).RootElement.GetProperty("value").GetString());
        Assert.Equal(text, JsonDocument.Parse(fromUtf8).RootElement.GetProperty("value").GetString());
        Assert.Equal(text, Assert.Single(JsonDocument.Parse(asName).RootElement.EnumerateObject()).Name);
        Assert.Equal(fromString, fromUtf8);
    }

    [Fact]
    public void Write_PrintableAscii_IsWrittenAsItIs()
    {
        var json = Encoding.ASCII.GetString(Write(writer => writer.WriteString("v"u8, "<1000 & 'a'+b`")));

        Assert.Equal("""{"v":"<1000 & 'a'+b`"}""", json);
    }

    [Fact]
    public void Write_Escapes_UseJsonShortFormsAndLowerCaseHex()
    {
        var json = Encoding.ASCII.GetString(Write(writer => writer.WriteString("v"u8, "\"\\\n\u0001é😀")));

        Assert.Equal("""{"v":"\"\\\n\u0001\u00e9\ud83d\ude00"}""", json);
    }

    [Fact]
    public void Write_InvalidUtf16_IsRefusedAsByTheDefaultEncoder()
    {
        var lone = "a\ud800b";

        var ours = Record.Exception(() => Write(writer => writer.WriteString("v"u8, lone)));
        var theirs = Record.Exception(() => Write(writer => writer.WriteString("v"u8, lone), new JsonWriterOptions()));

        Assert.Equal(theirs?.GetType(), ours?.GetType());
    }

    private static byte[] Write(Action<Utf8JsonWriter> write, JsonWriterOptions? options = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, options ?? Options))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
