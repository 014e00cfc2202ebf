using System.Text;
using System.Text.Json;
using Candor.Manifest;

namespace Candor.Tests.Manifest;

public class ManifestJsonTests
{
    [Theory]
    [InlineData("{\n  \"product\": \"x\",\n  \"revison\": 1\n}", "at $.revison (line 3, column 3): unknown member 'revison'")]
    [InlineData("{ \"Product\": \"x\" }", "at $.Product (line 1, column 3): unknown member 'Product'")]
    [InlineData("{ \"disclosure\": { \"text\": \"t\", \"extra\": 1 } }", "at $.disclosure.extra (line 1, column 32): unknown member 'extra' (members here: version, text;")]
    [InlineData("{ \"events\": [ {}, { \"properties\": [ {}, { \"item\": { \"colour\": 1 } } ] } ] }", "at $.events[1].properties[1].item.colour (line 1, column 53): unknown member 'colour'")]
    [InlineData("{ \"product\": 3 }", "at $.product (line 1, column 14): expected a string, found 3")]
    [InlineData("{ \"revision\": 1.5 }", "at $.revision (line 1, column 15): expected a 32-bit integer, found 1.5")]
    [InlineData("{ \"retentionMonths\": \"14\" }", "at $.retentionMonths (line 1, column 22): expected a 32-bit integer, found a string")]
    [InlineData("{ \"machineHash\": null }", "at $.machineHash (line 1, column 18): expected true or false, found null")]
    [InlineData("{ \"disclosure\": \"text\" }", "at $.disclosure (line 1, column 17): expected an object, found a string")]
    [InlineData("{ \"events\": {} }", "at $.events (line 1, column 13): expected an array, found an object")]
    [InlineData("{ \"optOut\": { \"flags\": [\"--a\", null] } }", "at $.optOut.flags[1] (line 1, column 32): expected a string, found null")]
    [InlineData("{ \"events\": [ { \"measurements\": [ { \"boundaries\": [1, \"2\"] } ] } ] }", "at $.events[0].measurements[0].boundaries[1] (line 1, column 55): expected a number, found a string")]
    [InlineData("[]", "at $ (line 1, column 1): expected an object, found an array")]
    [InlineData("{ \"product\": \"x\" } {}", "at $ (line 1, column 20): '{' is invalid after a single JSON value.")]
    [InlineData("{\n  \"events\": [ { \"name\": oops } ]\n}", "at $.events[0].name (line 2, column 25): 'o' is an invalid start of a value.")]
    [InlineData("{ \"events\": [ { \"name\": \"e\" ] }", "at $.events[0] (line 1, column 29): ']' is invalid without a matching open.")]
    [InlineData("{ \"product\": \"caf\u00e9\", \"x\": 1 }", "at $.x (line 1, column 22): unknown member 'x'")]
    public void Read_WrongShape_SaysWhatAndWhere(string json, string expected)
    {
        var ex = Assert.Throws<ManifestException>(() => ManifestJson.Read(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("not valid manifest JSON " + expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MalformedJson_KeepsTheReadersException()
    {
        var ex = Assert.Throws<ManifestException>(() => ManifestJson.Read("{ not json"u8));

        Assert.IsAssignableFrom<JsonException>(ex.InnerException);
    }

    [Fact]
    public void Read_CommentsAndTrailingCommas_AreAllowed()
    {
        var document = ManifestJson.Read("""
            // A product's manifest.
            {
              "$schema": "https://example.org/candor.schema.json",
              "product": "x", /* the id */
              "neverCollected": ["a", "b",],
            }
            """u8);

        Assert.NotNull(document);
        Assert.Equal("x", document.Product);
        Assert.Equal(["a", "b"], document.NeverCollected!);
    }

    [Theory]
    [InlineData("[]", new double[0])]
    [InlineData("[1, /* two */ 2.5, 1e3,]", new[] { 1, 2.5, 1000 })]
    [InlineData("[\n  -1, // minus one\n  0\n]", new[] { -1.0, 0 })]
    public void Read_Boundaries_AreReadInOrder(string boundaries, double[] expected)
    {
        var document = ManifestJson.Read(Encoding.UTF8.GetBytes($$"""{ "events": [ { "properties": [ { "boundaries": {{boundaries}}, "unit": "b" } ] } ] }"""))!;

        var field = document.Events![0].Properties![0];
        Assert.Equal(expected, field.Boundaries);
        Assert.Equal("b", field.Unit);
    }

    [Fact]
    public void Read_NullRoot_IsNoDocument()
    {
        Assert.Null(ManifestJson.Read(" null "u8));
    }

    [Fact]
    public void Read_MembersLeftOut_KeepTheirDefaults()
    {
        var document = ManifestJson.Read("""{ "disclosure": { "text": "t" }, "events": [ { "properties": [ {} ] } ] }"""u8)!;

        Assert.Equal(1, document.Revision);
        Assert.Equal(1, document.Disclosure!.Version);
        Assert.Null(document.RetentionMonths);
        Assert.Null(document.OptOut);
        Assert.Null(document.Events![0].Measurements);
        var field = document.Events[0].Properties![0];
        Assert.Null(field.Minimum);
        Assert.Null(field.MaxItems);
        Assert.Null(field.Values);
        Assert.Null(field.Item);
    }

    [Fact]
    public void Read_NullMembers_ReadAsLeftOut()
    {
        var document = ManifestJson.Read("""
            { "product": null, "disclosure": null, "optOut": null, "retentionMonths": null, "neverCollected": null, "events": null }
            """u8)!;

        Assert.Null(document.Product);
        Assert.Null(document.Disclosure);
        Assert.Null(document.OptOut);
        Assert.Null(document.RetentionMonths);
        Assert.Null(document.NeverCollected);
        Assert.Null(document.Events);
    }
}
