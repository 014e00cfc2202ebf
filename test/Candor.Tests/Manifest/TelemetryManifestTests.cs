using Candor.Manifest;

namespace Candor.Tests.Manifest;

public class TelemetryManifestTests
{
    [Fact]
    public void Parse_ValidManifest_ExposesEventsAndFields()
    {
        var manifest = TelemetryManifest.Parse(Some.ManifestJson);

        Assert.Equal("sample", manifest.Product);
        var install = manifest.Find("install");
        Assert.NotNull(install);
        Assert.Equal(FieldKind.List, install.Find("packages")!.Kind);
        Assert.Equal(FieldKind.NameOrHash, install.Find("packages")!.Item!.Kind);
        Assert.True(install.Find("buildTime")!.IsMeasurement);
        Assert.Null(manifest.Find("nope"));
    }

    [Fact]
    public void Parse_UnknownKind_NamesEventAndProperty()
    {
        var json = Some.ManifestJson.Replace("\"kind\": \"enum\"", "\"kind\": \"string\"");

        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(json));

        Assert.Contains("event 'install', property 'triplet': unknown kind 'string'", ex.Message);
        Assert.Contains("no free-form string kind", ex.Message);
    }

    [Fact]
    public void Parse_MeasurementDeclaredAsProperty_IsRefused()
    {
        var json = Some.ManifestJson.Replace("\"kind\": \"duration\"", "\"kind\": \"bool\"");

        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(json));

        Assert.Contains("event 'install', measurement 'buildTime': kind 'bool' is not a measurement", ex.Message);
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsAllAtOnce()
    {
        var json = Some.ManifestJson
            .Replace("\"purpose\": \"Find failing packages.\",", "")
            .Replace("\"boundaries\": [1000, 100000]", "\"boundaries\": [100000, 1000]");

        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(json));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Contains("event 'install': 'purpose' is required"));
        Assert.Contains(ex.Errors, e => e.Contains("property 'size': 'boundaries' must be strictly ascending"));
    }

    [Fact]
    public void Parse_UnknownMember_IsRefusedWithItsPath()
    {
        var json = Some.ManifestJson.Replace("\"revision\": 1,", "\"revison\": 1,");

        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(json));

        Assert.Contains("revison", ex.Message);
    }

    [Theory]
    [InlineData("\"product\": \"sample\"", "\"product\": \"Sample Tool\"", "'product' must be")]
    [InlineData("\"consent\": \"opt-out\"", "\"consent\": \"maybe\"", "'consent' must be 'opt-out' or 'opt-in'")]
    [InlineData("\"level\": \"error\"", "\"level\": \"fatal\"", "event 'crash': 'level' must be 'usage' or 'error'")]
    [InlineData("\"allow\": [\"zlib\", \"openssl\"]", "\"allow\": []", "property 'packages' item: kind 'nameOrHash' needs an 'allow' list")]
    [InlineData("\"maxItems\": 20", "\"maxItems\": 0", "property 'packages': 'maxItems' must be between 1 and 1000")]
    [InlineData("\"SAMPLE_DISABLE_METRICS\"", "\"KMPKG DISABLE\"", "'KMPKG DISABLE' is not a valid variable name")]
    public void Parse_WrongDeclaration_SaysWhatIsWrong(string from, string to, string expected)
    {
        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(Some.ManifestJson.Replace(from, to)));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Parse_NotJson_IsAManifestException()
    {
        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse("{ not json"));

        Assert.Contains("not valid manifest JSON", ex.Message);
    }
}
