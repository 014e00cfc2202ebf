using System.Collections;
using System.Reflection;
using Candor.Manifest;
using Candor.Testing;
using Candor.Tests.Support;

namespace Candor.Tests.Manifest;

public class CompiledManifestTests
{
    // Every manifest in the repository, and the test data's, so each kind, option and section is written and read.
    public static TheoryData<string> Manifests()
    {
        var root = Repository.Root();
        var data = new TheoryData<string> { "Some.ManifestJson", "with mappings" };
        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains("node_modules", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("\"events\"", StringComparison.Ordinal) && File.ReadAllText(f).Contains("\"product\"", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Read_OfWritten_EqualsTheParsedManifestInEveryPublicMember(string source)
    {
        var json = source switch
        {
            "Some.ManifestJson" => Some.ManifestJson,
            "with mappings" => ManifestMappingsTests.WithMappings(ManifestMappingsTests.Mappings),
            _ => File.ReadAllText(Path.Combine(Repository.Root(), source)),
        };
        TelemetryManifest parsed;
        try
        {
            parsed = TelemetryManifest.Parse(json);
        }
        catch (ManifestException)
        {
            // A file that only looks like a manifest (a collector fixture of a wrong one): nothing to compile.
            return;
        }

        var compiled = CompiledManifest.TryRead(new MemoryStream(CompiledManifest.Write(parsed)));

        Assert.NotNull(compiled);
        AssertSame(parsed, compiled, "manifest");
    }

    [Fact]
    public void FromAssembly_BuiltWithTheTargets_ReadsTheCompiledFormOfTheEmbeddedFile()
    {
        var assembly = typeof(CompiledManifestTests).Assembly;
        using var file = assembly.GetManifestResourceStream(TelemetryManifest.ResourceName)!;
        using var compiled = assembly.GetManifestResourceStream(CompiledManifest.ResourceName);
        Assert.NotNull(compiled);

        var fromAssembly = TelemetryManifest.FromAssembly(assembly);

        AssertSame(TelemetryManifest.Load(file), fromAssembly, "manifest");
        Assert.Equal("startup-probe", fromAssembly.Product);
    }

    [Theory]
    [InlineData("2.1.0", "key-1", "https://telemetry.example.org/")]
    [InlineData(null, null, null)]
    [InlineData("", "a;b*?", "http://127.0.0.1:5000/?x=1")]
    public void Read_OfWrittenWithBuildFacts_HasTheFacts_AndWithoutNone(string? version, string? key, string? endpoint)
    {
        var parsed = TelemetryManifest.Parse(Some.ManifestJson);
        var facts = new BuildFacts(version, key, endpoint);

        var compiled = CompiledManifest.TryRead(new MemoryStream(CompiledManifest.Write(parsed, facts)))!;
        var without = CompiledManifest.TryRead(new MemoryStream(CompiledManifest.Write(parsed)))!;

        Assert.Equal(facts, compiled.Build);
        AssertSame(parsed, compiled, "manifest");
        Assert.Null(without.Build);
    }

    [Fact]
    public void BuildFacts_FromTheBuildsFile_DropTheSourceRevision_AndEmptyIsNone()
    {
        var facts = BuildFacts.Parse(["version=1.2.0-beta.1+3718d27b", "key=", "endpoint=https://telemetry.example.org", ""]);

        Assert.Equal(new BuildFacts("1.2.0-beta.1", null, "https://telemetry.example.org"), facts);
        Assert.Throws<FormatException>(() => BuildFacts.Parse(["version=1.0", "hash=abc"]));
    }

    // The package's build targets write what the build stamps on the assembly into the compiled manifest: a run then
    // reads the same version, key and endpoint without reflection. This assembly is built with them, without a key.
    [Fact]
    public void FromAssembly_BuiltWithTheTargets_CarriesTheVersionKeyAndEndpointTheBuildStampedOnIt()
    {
        var assembly = typeof(CompiledManifestTests).Assembly;
        var facts = TelemetryManifest.FromAssembly(assembly).Build;

        Assert.NotNull(facts);
        Assert.Equal(BuildFacts.WithoutSourceRevision(assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion), facts.Version);
        Assert.Null(facts.IngestionKey);
        Assert.Null(facts.Endpoint);
        Assert.DoesNotContain(assembly.GetCustomAttributes<AssemblyMetadataAttribute>(), a => a.Key.StartsWith("Candor.", StringComparison.Ordinal));
    }

    [Fact]
    public void TryRead_AnotherLayout_ReturnsNull()
    {
        var bytes = CompiledManifest.Write(TelemetryManifest.Parse(Some.ManifestJson));
        var layoutAt = "CANDOR-MANIFEST\n"u8.Length;
        bytes[layoutAt]++;

        Assert.Null(CompiledManifest.TryRead(new MemoryStream(bytes)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(200)]
    public void TryRead_Truncated_ReturnsNull(int length)
    {
        var bytes = CompiledManifest.Write(TelemetryManifest.Parse(Some.ManifestJson));

        Assert.Null(CompiledManifest.TryRead(new MemoryStream(bytes[..length])));
    }

    [Fact]
    public void TryRead_DamagedBody_ReadsTheHead_AndGivesNoEventsRatherThanThrow()
    {
        var parsed = TelemetryManifest.Parse(Some.ManifestJson);
        var bytes = CompiledManifest.Write(parsed);

        // The body's first value is the number of events: past what the body holds, it cannot be read.
        BitConverter.TryWriteBytes(bytes.AsSpan(BodyStart(bytes)), int.MaxValue);
        var compiled = CompiledManifest.TryRead(new MemoryStream(bytes));

        Assert.NotNull(compiled);
        Assert.Equal(parsed.Product, compiled.Product);
        Assert.Equal(parsed.OptOutEnvironmentVariables, compiled.OptOutEnvironmentVariables);
        Assert.Empty(compiled.Events);
        Assert.Null(compiled.Find(parsed.Events[0].Name));
    }

    [Theory]
    [InlineData("DO_NOT_TRACK", "1")]
    [InlineData("CANDOR_TELEMETRY", "off")]
    public void OffRun_ReadsOnlyTheHead_AndARecordingRunReadsTheBody(string variable, string value)
    {
        var bytes = CompiledManifest.Write(TelemetryManifest.Parse(Some.ManifestJson));
        var off = CompiledManifest.TryRead(new MemoryStream(bytes))!;
        var on = CompiledManifest.TryRead(new MemoryStream(bytes))!;

        using (var client = CandorClient.CreateForTesting(off, new InMemorySink(), new Dictionary<string, string> { [variable] = value }))
        {
            client.Track(off.Product);
            Assert.False(client.IsEnabled);
        }

        using (var client = CandorClient.CreateForTesting(on, new InMemorySink()))
        {
            Assert.True(client.IsEnabled);
        }

        Assert.False(off.BodyRead);
        Assert.True(on.BodyRead);
    }

    [Fact]
    public void TryRead_TheManifestFileItself_ReturnsNull()
    {
        Assert.Null(CompiledManifest.TryRead(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Some.ManifestJson))));
    }

    // Where the body starts: after the head's last value, the body's length, which is the number of bytes left.
    private static int BodyStart(byte[] bytes)
    {
        for (var at = "CANDOR-MANIFEST\n"u8.Length + sizeof(int); at + sizeof(int) <= bytes.Length; at++)
        {
            if (BitConverter.ToInt32(bytes, at) == bytes.Length - at - sizeof(int))
            {
                return at + sizeof(int);
            }
        }

        throw new InvalidOperationException("no body length found");
    }

    // Compares every public instance property, recursively, so a member added to the model and not to the compiled
    // form fails here.
    private static void AssertSame(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: {expected ?? "null"} against {actual ?? "null"}");
            return;
        }

        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal)
        {
            Assert.True(expected.Equals(actual), $"{path}: {expected} against {actual}");
            return;
        }

        if (expected is IEnumerable sequence && actual is IEnumerable other)
        {
            var left = sequence.Cast<object?>().ToList();
            var right = other.Cast<object?>().ToList();
            Assert.True(left.Count == right.Count, $"{path}: {left.Count} items against {right.Count}");
            for (var i = 0; i < left.Count; i++)
            {
                AssertSame(left[i], right[i], $"{path}[{i}]");
            }

            return;
        }

        Assert.Equal(type, actual.GetType());
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            AssertSame(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }
}
