using System.Text;
using System.Text.Json;
using Candor.Collector.Ingestion;

namespace Candor.Collector.Tests.Ingestion;

public class JsonTextTests
{
    [Theory]
    [InlineData("""{"name": "install"}""")]
    [InlineData("""{"name": "x64-l\u00efnux \ud83d\ude00 \uD83D\uDE00 \u0000 \\ud800"}""")]
    [InlineData("""{"na\u006de": ["\ud7ff", "\ue000", "\uffff"], "deep": [[{"a": "\"\\\/\b\f\n\r\t"}]]}""")]
    [InlineData("""{"raw": "lïnux 😀 日本"}""")]
    public void Find_ValidText_FindsNothing(string json)
    {
        Assert.Null(JsonText.Find(Encoding.UTF8.GetBytes(json)));
    }

    public static TheoryData<byte[], string, bool, bool> Problems => new()
    {
        { [.. """{"properties": {"triplet": "x"""u8, 0xFF, .. "\"}}"u8], "$.properties.triplet", false, false },
        { [.. """{"properties": {"tri"""u8, 0xFF, .. "\": 1}}"u8], "$.properties", true, false },
        { [.. """{"properties": {"packages": ["zlib", "a"""u8, 0xC0, 0xAF, .. "\"]}}"u8], "$.properties.packages[1]", false, false },
        { [.. """{"a": [[1, {"b": null}], "x"""u8, 0xED, 0xA0, 0x80, .. "\"]}"u8], "$.a[1]", false, false },
        { """{"name": "a\ud800"}"""u8.ToArray(), "$.name", false, true },
        { """{"name": "a\udc00\ud800"}"""u8.ToArray(), "$.name", false, true },
        { """{"name": "\ud800\u0041"}"""u8.ToArray(), "$.name", false, true },
        { """{"name": "\\\ud800"}"""u8.ToArray(), "$.name", false, true },
        { """{"context": {"os\uDFFF": "linux"}}"""u8.ToArray(), "$.context", true, true },
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void Find_InvalidText_SaysWhereAndWhat(byte[] json, string path, bool inName, bool surrogate)
    {
        var problem = JsonText.Find(json);

        Assert.Equal(new TextProblem(path, inName, surrogate), problem);
        Assert.StartsWith("the item is not valid text: ", problem!.Value.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Find_LongMemberName_IsCutInThePath()
    {
        var name = new string('p', 1000);

        var problem = JsonText.Find([.. Encoding.UTF8.GetBytes($$"""{"{{name}}": "a"""), 0xFF, .. "\"}"u8]);

        Assert.Equal("$." + new string('p', 64) + "…", problem!.Value.Path);
    }

    [Theory]
    [InlineData("""{"events": [{"name": "install", "os": "l\u00efnux \ue000"}]}""", true)]
    [InlineData("""{"events": [{"raw": "lïnux 😀"}]}""", true)]
    [InlineData("""{"events": [{"name": "\ud83d\ude00"}]}""", false)]
    [InlineData("""{"events": [{"name": "\\ud800"}]}""", false)]
    [InlineData("{\"events\": [] \\u", true)]
    public void IsSurelyValid_SaysYesOnlyWithoutAnyDoubt(string json, bool surely)
    {
        Assert.Equal(surely, JsonText.IsSurelyValid(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void IsSurelyValid_BytesThatAreNotUtf8_AreInDoubt()
    {
        Assert.False(JsonText.IsSurelyValid([.. "{\"a\":\"x"u8, 0xFF, .. "\"}"u8]));
    }

    [Theory]
    [InlineData("""{"id": 1, "\uDEF0": 2}""", 1)]
    [InlineData("""{"id": 1, "\uDB00product": 2, "\uDEF0name": 3}""", 1)]
    [InlineData("""{"id": 1, "i\u0064": 2}""", 2)]
    [InlineData("""{"\u0069\u0064": 1, "x\ud800": 2}""", 1)]
    [InlineData("""{"id": 1, "id": 2, "\ud800id": 3}""", 2)]
    public void TryGetMember_NamesNotValidText_AreSkippedWithoutThrowing(string json, int expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.True(JsonText.TryGetMember(document.RootElement, "id"u8, out var value));
        Assert.Equal(expected, value.GetInt32());
    }

    [Fact]
    public void TryGetMember_NoSuchMember_IsFalse()
    {
        byte[] json = [.. """{"\uDEF0": 1, "i"""u8, 0xFF, .. "d\": 2}"u8];
        using var document = JsonDocument.Parse(json);

        Assert.False(JsonText.TryGetMember(document.RootElement, "id"u8, out _));
    }

    [Fact]
    public void Find_WhatItPasses_CanBeReadWithoutThrowing()
    {
        var json = """{"a\u00e9": "\ud83d\ude00", "b": ["\u0041", "c"], "id": "\u0033f2a8c1e-6b0d-4e57-9a51-0c3d2b7e9f10"}"""u8.ToArray();
        using var document = JsonDocument.Parse(json);

        Assert.Null(JsonText.Find(json));
        Assert.Equal(["a\u00e9", "b", "id"], document.RootElement.EnumerateObject().Select(m => m.Name));
        Assert.True(document.RootElement.GetProperty("id").TryGetGuid(out _));
    }
}
