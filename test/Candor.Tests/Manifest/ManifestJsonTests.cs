using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Candor.Manifest;

namespace Candor.Tests.Manifest;

public partial class ManifestJsonTests
{
    public static TheoryData<string> RepositoryManifests()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in Manifests())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RepositoryManifests))]
    public void Read_ManifestInTheRepository_BuildsWhatTheSerializerBuilt(string name)
    {
        var json = Manifests().Single(m => m.Name == name).Json;

        Assert.Equal(Describe(TelemetryManifest.ParseWithSerializer(json)), Describe(TelemetryManifest.Parse(json)));
    }

    [Fact]
    public void Manifests_CoverTheSamplesTestsAndBenchmarks()
    {
        var names = Manifests().Select(m => m.Name).ToList();

        Assert.Contains(names, n => n.StartsWith("samples/", StringComparison.Ordinal) && n.EndsWith("candor.json", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith(".manifest.json", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("test/Candor.Tests/Some.cs", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("bench/Candor.Benchmarks/", StringComparison.Ordinal));
        Assert.True(names.Count >= 15, string.Join(", ", names));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("3")]
    [InlineData("""{ "product": "x" } {}""")]
    [InlineData("""{ "product": "x", "revison": 1 }""")]
    [InlineData("""{ "Product": "x" }""")]
    [InlineData("""{ "product": 3 }""")]
    [InlineData("""{ "revision": "1" }""")]
    [InlineData("""{ "revision": 1.5 }""")]
    [InlineData("""{ "revision": null }""")]
    [InlineData("""{ "machineHash": "yes" }""")]
    [InlineData("""{ "retentionMonths": 99999999999 }""")]
    [InlineData("""{ "disclosure": "text" }""")]
    [InlineData("""{ "disclosure": { "text": "t", "extra": 1 } }""")]
    [InlineData("""{ "optOut": { "flags": "--x" } }""")]
    [InlineData("""{ "events": {} }""")]
    [InlineData("""{ "events": [ { "name": "e", "properties": [ { "name": "p", "minimum": "0" } ] } ] }""")]
    [InlineData("""{ "events": [ { "name": "e", "properties": [ { "name": "p", "boundaries": [1, null] } ] } ] }""")]
    [InlineData("""{ "events": [ { "name": "e", "properties": [ { "name": "p", "item": { "kind": "enum", "colour": 1 } } ] } ] }""")]
    [InlineData("""{ "events": [ { "name": "e", "properties": [ { "name": "p" ] } ] }""")]
    [InlineData("null")]
    public void Read_WhatTheSerializerRefused_IsRefused(string json)
    {
        Assert.Throws<ManifestException>(() => TelemetryManifest.ParseWithSerializer(json));
        Assert.Throws<ManifestException>(() => TelemetryManifest.Parse(json));
    }

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
        Assert.False(document.MachineHash);
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

    private static IEnumerable<(string Name, string Json)> Manifests()
    {
        var root = RepositoryRoot();
        var files = Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(path => !path.Contains("/bin/", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal))
            .Where(path => path.EndsWith("/candor.json", StringComparison.Ordinal) || path.EndsWith(".manifest.json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var path in files)
        {
            yield return (path, File.ReadAllText(Path.Combine(root, path)));
        }

        // Manifests written inside tests and benchmarks, as raw string literals.
        var sources = new[] { "test", "bench", "samples" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains("/obj/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal))
            .Where(path => Path.GetFileName(path) != nameof(ManifestJsonTests) + ".cs")
            .Order(StringComparer.Ordinal);
        foreach (var path in sources)
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            var n = 0;
            foreach (Match literal in RawString().Matches(File.ReadAllText(path)))
            {
                var text = literal.Groups[2].Value;
                if (literal.Groups[1].Length == 0 && IsManifest(text))
                {
                    yield return ($"{relative} #{++n}", text);
                }
            }
        }
    }

    private static bool IsManifest(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("events", out _)
                && document.RootElement.TryGetProperty("disclosure", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Candor.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (Candor.slnx) is not above " + AppContext.BaseDirectory);
    }

    // Everything the model exposes, one line per value, so two manifests compare as text and a difference shows where.
    private static string Describe(TelemetryManifest m)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"product={m.Product} name={m.Name} revision={m.Revision} consent={m.Consent}");
        s.AppendLine(CultureInfo.InvariantCulture, $"disclosure={m.DisclosureVersion}:{m.DisclosureText}");
        s.AppendLine(CultureInfo.InvariantCulture, $"optOut={string.Join('|', m.OptOutEnvironmentVariables)} flags={string.Join('|', m.OptOutFlags)}");
        s.AppendLine(CultureInfo.InvariantCulture, $"retention={m.RetentionMonths} machineHash={m.MachineHash} ci={m.Ci} contact={m.Contact}");
        s.AppendLine(CultureInfo.InvariantCulture, $"never={string.Join('|', m.NeverCollected)}");
        s.AppendLine(CultureInfo.InvariantCulture, $"json={m.Json}");
        foreach (var e in m.Events)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"event {e.Name} level={e.Level} description={e.Description} purpose={e.Purpose}");
            foreach (var f in e.Fields)
            {
                Describe(s, f, "  ");
            }
        }

        return s.ToString();
    }

    private static void Describe(StringBuilder s, FieldDefinition f, string indent)
    {
        s.AppendLine(CultureInfo.InvariantCulture, $"{indent}field {f.Name} kind={f.Kind} measurement={f.IsMeasurement} description={f.Description}");
        s.AppendLine(CultureInfo.InvariantCulture, $"{indent}  values={string.Join('|', f.Values)} unit={f.Unit} min={f.Minimum:R} max={f.Maximum:R}");
        s.AppendLine(CultureInfo.InvariantCulture, $"{indent}  boundaries={string.Join('|', f.Boundaries.Select(b => b.ToString("R", CultureInfo.InvariantCulture)))} labels={string.Join('|', f.BucketLabels)}");
        s.AppendLine(CultureInfo.InvariantCulture, $"{indent}  allow={string.Join('|', f.Allow)} maxItems={f.MaxItems}");
        if (f.Item is { } item)
        {
            Describe(s, item, indent + "  item ");
        }
    }

    // Interpolated literals ($""") are matched too, so that their closing quotes are not taken for an opening.
    [GeneratedRegex("(\\$*)\"\"\"(.*?)\"\"\"", RegexOptions.Singleline)]
    private static partial Regex RawString();
}
