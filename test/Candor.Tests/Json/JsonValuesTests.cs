using System.Text;
using System.Text.Json;
using Candor.Json;

namespace Candor.Tests.Json;

public sealed class JsonValuesTests
{
    [Theory]
    [InlineData("""{"a":1,"b":[true,null,"x"]}""", """{ "a": 1, "b": [ true, null, "x" ] }""")]
    [InlineData("""{"a":"é"}""", """{"a":"\u00e9"}""")]
    [InlineData("""{"\u0061":1}""", """{"a":1}""")]
    [InlineData("""[2.50]""", """[2.5]""")]
    [InlineData("""[1e3]""", """[1000]""")]
    [InlineData("""[1e400]""", """[1e400]""")]
    [InlineData("// comment\n{\"a\":[1,],}", """{"a":[1]}""")]
    public void SameValue_SameValueSpelledDifferently_IsTrue(string left, string right)
    {
        Assert.True(JsonFields.SameValue(Encoding.UTF8.GetBytes(left), Encoding.UTF8.GetBytes(right)));
        Assert.True(JsonFields.SameValue(Encoding.UTF8.GetBytes(right), Encoding.UTF8.GetBytes(left)));
    }

    [Theory]
    [InlineData("""{"a":1}""", """{"a":2}""")]
    [InlineData("""{"a":1}""", """{"b":1}""")]
    [InlineData("""{"a":1,"b":2}""", """{"b":2,"a":1}""")]
    [InlineData("""{"a":"1"}""", """{"a":1}""")]
    [InlineData("""{"a":true}""", """{"a":false}""")]
    [InlineData("""{"a":null}""", """{"a":{}}""")]
    [InlineData("""[1,2]""", """[1,2,3]""")]
    [InlineData("""{"a":"x"}""", """{"a":"x\u0000"}""")]
    public void SameValue_DifferentValue_IsFalse(string left, string right)
    {
        Assert.False(JsonFields.SameValue(Encoding.UTF8.GetBytes(left), Encoding.UTF8.GetBytes(right)));
        Assert.False(JsonFields.SameValue(Encoding.UTF8.GetBytes(right), Encoding.UTF8.GetBytes(left)));
    }

    [Fact]
    public void SameValue_CopiedValue_IsTheSameValue()
    {
        var source = Encoding.UTF8.GetBytes(Some.ManifestJson);

        var copy = JsonValues.Write(JsonValues.Indented, writer => JsonValues.CopyValue(source, writer));

        Assert.True(JsonFields.SameValue(copy, source));
    }

    [Fact]
    public void SameValue_Malformed_Throws()
    {
        Assert.ThrowsAny<JsonException>(() => JsonFields.SameValue("{\"a\":"u8, "{\"a\":1}"u8));
    }
}
