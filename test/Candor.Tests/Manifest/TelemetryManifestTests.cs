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
    public void Parse_EveryMember_IsReadIntoTheModel()
    {
        const string json = """
        {
          "$schema": "https://example.org/candor/manifest.schema.json",
          // Comments and trailing commas are allowed: people write manifests by hand.
          "product": "rich",
          "name": "Rich Tool",
          "revision": 3,
          "consent": "opt-in",
          "disclosure": { "version": 2, "text": "rich collects usage data.\n\n" },
          "optOut": { "environmentVariables": ["RICH_NO_TELEMETRY", "RICH_OPTOUT"], "flags": ["--no-telemetry", "-q"], },
          "retentionMonths": 6,
          "machineHash": true,
          "ci": "suppress",
          "contact": "mailto:privacy@example.org",
          "neverCollected": ["paths", "names"],
          "namespaces": ["Rich", "Program"],
          "events": [
            {
              "name": "build",
              "description": "A build finished.",
              "purpose": "Know which targets are built.",
              "properties": [
                { "name": "target", "kind": "enum", "values": ["debug", "release"], "description": "The configuration." },
                { "name": "incremental", "kind": "bool", "description": "Whether only changes were built." },
                { "name": "size", "kind": "bucket", "unit": "bytes", "boundaries": [1024, 1048576.5], "description": "Output size." },
                { "name": "project", "kind": "hash", "description": "The project, hashed." },
                { "name": "sdk", "kind": "version", "description": "The SDK version." },
                { "name": "package", "kind": "nameOrHash", "allow": ["zlib", "OpenSSL"], "description": "A package." },
                { "name": "steps", "kind": "list", "item": { "kind": "enum", "values": ["restore", "compile"], "description": "A step." }, "description": "The steps run." },
                { "name": "tags", "kind": "list", "maxItems": 7, "item": { "kind": "bucket", "boundaries": [10], "description": "A tag's length." }, "description": "Tag lengths." },
              ],
              "measurements": [
                { "name": "elapsed", "kind": "duration", "description": "How long it took." },
                { "name": "warnings", "kind": "number", "unit": "count", "minimum": -1.5, "maximum": 1e6, "description": "Warnings." }
              ]
            },
            { "name": "crash", "description": "It crashed.", "purpose": "Fix crashes.", "level": "error",
              "properties": [ { "name": "stack", "kind": "stack", "description": "The stack." } ] }
          ]
        }
        """;

        var m = TelemetryManifest.Parse(json);

        Assert.Equal("rich", m.Product);
        Assert.Equal("Rich Tool", m.Name);
        Assert.Equal(3, m.Revision);
        Assert.Equal(ConsentModel.OptIn, m.Consent);
        Assert.Equal(2, m.DisclosureVersion);
        Assert.Equal("rich collects usage data.", m.DisclosureText);
        Assert.Equal(["RICH_NO_TELEMETRY", "RICH_OPTOUT"], m.OptOutEnvironmentVariables);
        Assert.Equal(["--no-telemetry", "-q"], m.OptOutFlags);
        Assert.Equal(6, m.RetentionMonths);
        Assert.Equal(CiPolicy.Suppress, m.Ci);
        Assert.Equal("mailto:privacy@example.org", m.Contact);
        Assert.Equal(["paths", "names"], m.NeverCollected);
        Assert.Equal(json, m.Json);
        Assert.Equal(["build", "crash"], m.Events.Select(e => e.Name));

        var build = m.Events[0];
        Assert.Equal("A build finished.", build.Description);
        Assert.Equal("Know which targets are built.", build.Purpose);
        Assert.Equal(EventLevel.Usage, build.Level);
        Assert.Equal(["target", "incremental", "size", "project", "sdk", "package", "steps", "tags", "elapsed", "warnings"], build.Fields.Select(f => f.Name));
        Assert.Equal(
            [FieldKind.Enum, FieldKind.Bool, FieldKind.Bucket, FieldKind.Hash, FieldKind.Version, FieldKind.NameOrHash, FieldKind.List, FieldKind.List, FieldKind.Duration, FieldKind.Number],
            build.Fields.Select(f => f.Kind));

        var target = build.Find("target")!;
        Assert.Equal(["debug", "release"], target.Values);
        Assert.Equal("The configuration.", target.Description);
        Assert.False(target.IsMeasurement);

        var size = build.Find("size")!;
        Assert.Equal("bytes", size.Unit);
        Assert.Equal([1024, 1048576.5], size.Boundaries);
        Assert.Equal(["<1024", "1024-1048576.5", ">=1048576.5"], size.BucketLabels);

        Assert.Equal(["zlib", "OpenSSL"], build.Find("package")!.Allow);

        var steps = build.Find("steps")!;
        Assert.Equal(50, steps.MaxItems);
        Assert.Equal(FieldKind.Enum, steps.Item!.Kind);
        Assert.Equal(["restore", "compile"], steps.Item.Values);
        Assert.Equal("A step.", steps.Item.Description);

        var tags = build.Find("tags")!;
        Assert.Equal(7, tags.MaxItems);
        Assert.Equal([10.0], tags.Item!.Boundaries);

        var warnings = build.Find("warnings")!;
        Assert.True(warnings.IsMeasurement);
        Assert.Equal("count", warnings.Unit);
        Assert.Equal(-1.5, warnings.Minimum);
        Assert.Equal(1e6, warnings.Maximum);
        Assert.Null(build.Find("elapsed")!.Minimum);

        var crash = m.Events[1];
        Assert.Equal(EventLevel.Error, crash.Level);
        Assert.Equal(FieldKind.Stack, crash.Find("stack")!.Kind);
        Assert.Equal(["Rich", "Program"], m.Namespaces);
    }

    [Fact]
    public void Parse_MembersLeftOut_TakeTheirDefaults()
    {
        var m = TelemetryManifest.Parse("""{ "product": "p", "disclosure": { "text": "t" }, "events": [ { "name": "e", "description": "d", "purpose": "p" } ] }""");

        Assert.Equal("p", m.Name);
        Assert.Equal(1, m.Revision);
        Assert.Equal(ConsentModel.OptOut, m.Consent);
        Assert.Equal(1, m.DisclosureVersion);
        Assert.Empty(m.OptOutEnvironmentVariables);
        Assert.Empty(m.OptOutFlags);
        Assert.Equal(14, m.RetentionMonths);
        Assert.Equal(CiPolicy.Tag, m.Ci);
        Assert.Null(m.Contact);
        Assert.Empty(m.NeverCollected);
        Assert.Equal(EventLevel.Usage, m.Events[0].Level);
        Assert.Empty(m.Events[0].Fields);
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

        Assert.Contains("at $.revison (line 4, column 3): unknown member 'revison'", ex.Message);
    }

    [Theory]
    [InlineData("\"product\": \"sample\"", "\"product\": \"Sample Tool\"", "'product' must be")]
    [InlineData("\"consent\": \"opt-out\"", "\"consent\": \"maybe\"", "'consent' must be 'opt-out' or 'opt-in'")]
    [InlineData("\"level\": \"error\"", "\"level\": \"fatal\"", "event 'crash': 'level' must be 'usage' or 'error'")]
    [InlineData("\"allow\": [\"zlib\", \"openssl\"]", "\"allow\": []", "property 'packages' item: kind 'nameOrHash' needs an 'allow' list")]
    [InlineData("\"maxItems\": 20", "\"maxItems\": 0", "property 'packages': 'maxItems' must be between 1 and 1000")]
    [InlineData("\"SAMPLE_DISABLE_METRICS\"", "\"KMPKG DISABLE\"", "'KMPKG DISABLE' is not a valid variable name")]
    [InlineData("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "", "'namespaces' is required when an event declares a 'stack' field")]
    [InlineData("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "\"namespaces\": [],", "'namespaces' is required when an event declares a 'stack' field")]
    [InlineData("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "\"namespaces\": [\"Sample.Cli\", \"Sample.Cli\"],", "'namespaces' lists a namespace twice")]
    [InlineData("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "\"namespaces\": [\"Sample.Cli\", \"Sample..Cli\"],", "namespace 'Sample..Cli' must be a dotted name of identifiers")]
    [InlineData("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "\"namespaces\": [\"Sample.Cli\", \"Sample.*\"],", "namespace 'Sample.*' must be a dotted name of identifiers")]
    [InlineData("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "\"namespaces\": [\"Sample.Cli\", \"1Sample\"],", "namespace '1Sample' must be a dotted name of identifiers")]
    [InlineData("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "\"namespaces\": [\"Sample.Cli\", \"\"],", "namespace '' must be a dotted name of identifiers")]
    public void Parse_WrongDeclaration_SaysWhatIsWrong(string from, string to, string expected)
    {
        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(Some.ManifestJson.Replace(from, to)));

        Assert.Contains(expected, ex.Message);
    }

    [Theory]
    [InlineData("""{ "name": "e", "description": "d", "purpose": "p" }, { "name": "e", "description": "d", "purpose": "p" }""", "event 'e': declared twice")]
    [InlineData("""{ "name": "e", "description": "d", "purpose": "p", "properties": [ { "name": "a", "kind": "bool", "description": "d" } ], "measurements": [ { "name": "a", "kind": "duration", "description": "d" } ] }""", "event 'e', measurement 'a': declared twice in this event")]
    [InlineData("""{ "name": "e", "description": "d", "purpose": "p", "properties": [ { "name": "a", "kind": "nameOrHash", "allow": ["zlib", "ZLIB"], "description": "d" } ] }""", "event 'e', property 'a': 'allow' lists a name twice (names match in any case)")]
    public void Parse_NameDeclaredTwice_IsAManifestErrorNotACrash(string events, string expected)
    {
        var json = $$"""{ "product": "p", "disclosure": { "text": "t" }, "events": [ {{events}} ] }""";

        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(json));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Parse_NoStackField_NeedsNoNamespaces()
    {
        var m = TelemetryManifest.Parse("""{ "product": "p", "disclosure": { "text": "t" }, "events": [ { "name": "e", "description": "d", "purpose": "p" } ] }""");

        Assert.Empty(m.Namespaces);
    }

    [Fact]
    public void ParseRegistered_RevisionFromBeforeNamespaces_IsReadWithNone_AndParseRefusesIt()
    {
        var json = Some.ManifestJson.Replace("\"namespaces\": [\"Sample.Cli\", \"Candor.Tests\"],", "", StringComparison.Ordinal);

        Assert.Empty(TelemetryManifest.ParseRegistered(json).Namespaces);
        Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(json));
        Assert.Throws<ManifestException>(() => TelemetryManifest.ParseRegistered(json.Replace("\"revision\": 1,", "\"revision\": 0,", StringComparison.Ordinal)));
    }

    [Fact]
    public void Parse_NotJson_IsAManifestException()
    {
        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse("{ not json"));

        Assert.Contains("not valid manifest JSON at $ (line 1, column 3)", ex.Message);
    }

    [Fact]
    public void Parse_JsonNull_IsAnEmptyManifest()
    {
        var ex = Assert.Throws<ManifestException>(() => TelemetryManifest.Parse("null"));

        Assert.Contains("the manifest is empty", ex.Message);
    }

    [Fact]
    public void Load_StreamWithByteOrderMark_IsRead()
    {
        using var stream = new MemoryStream([.. "\uFEFF"u8, .. System.Text.Encoding.UTF8.GetBytes(Some.ManifestJson)]);

        Assert.Equal("sample", TelemetryManifest.Load(stream).Product);
    }

    [Fact]
    public void Lookup_AnyInstanceOfAName_FindsWhatFindFinds()
    {
        // Lookups remember the instance they were asked with; another instance of the same text, or of another
        // name, must still find by value.
        var manifest = TelemetryManifest.Parse(Some.ManifestJson);
        var literal = "install";
        var copy = new string(literal.AsSpan());

        foreach (var name in new[] { literal, copy, literal, "nope", new string("nope".AsSpan()), copy })
        {
            Assert.Same(manifest.Find(name), manifest.Lookup(name));
        }

        var install = manifest.Find("install")!;
        foreach (var name in new[] { "triplet", "cached", new string("triplet".AsSpan()), "cached", "nope", "triplet" })
        {
            Assert.Same(install.Find(name), install.Lookup(name));
        }

        var triplet = install.Find("triplet")!;
        foreach (var value in new[] { "x64-linux", new string("x64-linux".AsSpan()), "arm64-osx", "x64-Linux", "x64-linux" })
        {
            Assert.Equal(triplet.Values.ToList().IndexOf(value), triplet.IndexOfValue(value));
        }
    }
}
