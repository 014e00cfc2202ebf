using Candor.Manifest;

namespace Candor.Tests.Manifest;

public class ManifestMappingsTests
{
    internal const string Mappings = """
      "mappings": {
        "otlp": {
          "install": "candor.install",
          "logs": [ { "name": "PackageInstalled", "event": "install", "fields": { "triplet": "triplet", "elapsed": "buildTime" } } ],
          "spans": [ { "name": "install", "event": "install", "duration": "buildTime", "success": "cached" } ]
        },
        "applicationInsights": {
          "exceptions": [ { "event": "crash", "stack": "stack" } ]
        }
      },
    """;

    [Fact]
    public void Parse_WithMappings_KeepsThemInTheModel()
    {
        var manifest = TelemetryManifest.Parse(WithMappings(Mappings));

        var otlp = manifest.Mappings!.Otlp!;
        Assert.Equal("candor.install", otlp.Install);
        var log = otlp.Find(ItemType.Log, "PackageInstalled")!;
        Assert.Equal("install", log.Event.Name);
        Assert.Equal(["triplet", "elapsed"], log.Fields.Select(f => f.Key));
        Assert.Equal("buildTime", log.Fields[1].Value.Name);
        Assert.Equal("buildTime", otlp.Find(ItemType.Span, "install")!.Duration!.Name);
        Assert.Null(otlp.Find(ItemType.Log, "Other"));
        Assert.Equal("ai.user.id", manifest.Mappings.ApplicationInsights!.Install);
        Assert.Equal("stack", manifest.Mappings.ApplicationInsights.Find(ItemType.Exception, "System.IO.IOException")!.Stack!.Name);
    }

    [Fact]
    public void Parse_WithoutMappings_HasNone()
    {
        Assert.Null(TelemetryManifest.Parse(Some.ManifestJson).Mappings);
    }

    [Theory]
    [InlineData("\"event\": \"install\", \"fields\"", "\"event\": \"uninstall\", \"fields\"", "mappings.otlp.logs[0]: 'event' must name a declared event (found 'uninstall')")]
    [InlineData("\"triplet\": \"triplet\"", "\"triplet\": \"arch\"", "attribute 'triplet' maps to 'arch', which the event does not declare")]
    [InlineData("\"duration\": \"buildTime\"", "\"duration\": \"retries\"", "'duration' must name a field of kind 'duration'")]
    [InlineData("\"success\": \"cached\"", "\"success\": \"triplet\"", "'success' must name a field of kind 'bool'")]
    [InlineData("\"exceptions\"", "\"spans\"", "mappings.applicationInsights: 'spans' does not apply here")]
    [InlineData("\"name\": \"PackageInstalled\", ", "", "mappings.otlp.logs[0]: 'name' is required")]
    [InlineData("\"elapsed\": \"buildTime\"", "\"elapsed\": \"buildTime\", \"file\": \"dataset\"", "field 'dataset' is a keyed hash, which only Candor's SDK can make")]
    public void Parse_WrongMapping_NamesTheRuleAndTheProblem(string from, string to, string expected)
    {
        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(WithMappings(Mappings.Replace(from, to, StringComparison.Ordinal))));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownMappingMember_SaysWhereAndWhatIsAllowed()
    {
        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(WithMappings(Mappings.Replace("\"install\": \"candor.install\"", "\"instal\": \"x\"", StringComparison.Ordinal))));

        Assert.Contains("$.mappings.otlp.instal", ex.Message, StringComparison.Ordinal);
        Assert.Contains("install, logs, spans", ex.Message, StringComparison.Ordinal);
    }

    internal static string WithMappings(string mappings) =>
        Some.ManifestJson.Replace("\"events\": [", mappings + "\n  \"events\": [", StringComparison.Ordinal);
}
