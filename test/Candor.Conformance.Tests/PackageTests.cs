using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace Candor.Conformance.Tests;

/// <summary>
/// The packages as a tool author gets them, packed from source as README.md prints (<see cref="DocumentedPackages"/>):
/// what each depends on, and the SDK restored from that folder by a tool of its own, published the classic way
/// (portable, compiled at run time) and run as a real process.
/// </summary>
[Collection(DocumentedPackages.Collection)]
public sealed class PackageTests(DocumentedPackages packages) : IDisposable
{
    private const string Manifest = """
        {
          "product": "package-check",
          "revision": 1,
          "consent": "opt-out",
          "disclosure": { "version": 1, "text": "package-check records one event per run." },
          "events": [
            { "name": "run", "description": "The tool ran.", "purpose": "Check the package.", "level": "usage",
              "properties": [ { "name": "mode", "kind": "enum", "values": ["plain", "verbose"], "description": "How it ran." } ] }
          ]
        }
        """;

    private const string Program = """
        using Candor;

        using var telemetry = CandorClient.Create(new CandorOptions
        {
            Assembly = typeof(Program).Assembly,
            IngestionKey = "package-check-key",
            Endpoint = new Uri("http://127.0.0.1:9"),
        });
        telemetry.Event("run").With("mode", "plain").Track();
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("candor-package-").FullName;

    public void Dispose() => TempFolder.Delete(_root);

    [Fact]
    public async Task Package_CarriesTheSdkPrecompiled_SoAToolCompiledAtRunTimeCompilesNoneOfIt()
    {
        packages.AssertReadmePacked();
        var rid = RuntimeInformation.RuntimeIdentifier;
        const string version = "1.0.0";
        var feed = packages.Sdk;

        using (var package = ZipFile.OpenRead(Path.Combine(feed, $"Candor.{version}.nupkg")))
        {
            var portable = Inspect(package, "lib/net8.0/Candor.dll");
            var precompiled = Inspect(package, $"runtimes/{rid}/lib/net10.0/Candor.dll");
            Assert.False(portable.Precompiled);
            Assert.True(precompiled.Precompiled);
            Assert.Equal(portable.Version, precompiled.Version);
            Assert.Equal(new Version(1, 0, 0, 0), precompiled.Version);
        }

        var tool = WriteTool(version, feed);
        var published = await SampleProcess.RunBuildStepAsync("dotnet", ["publish", tool, "-c", "Release", "-o", Path.Combine(_root, "out"), "-nologo", "-v", "q"], new Dictionary<string, string>(), tool);
        Assert.True(published.ExitCode == 0, $"publishing the tool failed:\n{published.Output}\n{published.Error}");

        // The package puts its detached uploader beside the tool, with the Candor.dll it runs on.
        Assert.True(File.Exists(Path.Combine(_root, "out", "candor-upload", "candor-upload.dll")));
        Assert.True(File.Exists(Path.Combine(_root, "out", "candor-upload", "Candor.dll")));

        // The first run shows the disclosure; the second records its event, through the whole recording path.
        var home = Path.Combine(_root, "home");
        var executable = Path.Combine(_root, "out", "package-check");
        var first = await SampleProcess.RunAsync(executable, [], new Dictionary<string, string> { ["CANDOR_HOME"] = home });
        var compiled = Path.Combine(_root, "compiled.txt");
        var second = await SampleProcess.RunAsync(executable, [], new Dictionary<string, string>
        {
            ["CANDOR_HOME"] = home,
            ["DOTNET_JitStdOutFile"] = compiled,
            ["DOTNET_JitDisasmSummary"] = "1",
        });

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("package-check records one event per run.", first.Error, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        Assert.Single(Directory.GetFiles(Path.Combine(home, "products", "package-check", "spool"), "*.json"));
        var methods = File.ReadAllLines(compiled);
        Assert.Contains(methods, m => m.Contains("JIT compiled Program:", StringComparison.Ordinal));
        Assert.DoesNotContain(methods, m => m.Contains("JIT compiled Candor.", StringComparison.Ordinal));
    }

    [Fact]
    public void CommandLinePackage_DependsOnExactlyTheSdkItWasPackedWith()
    {
        packages.AssertReadmePacked();

        var dependencies = Dependencies(Path.Combine(packages.Sdk, "Candor.CommandLine.1.0.0.nupkg"));

        // It calls the SDK's internals: any other Candor version must fail at restore, not at run time.
        Assert.Contains(("net8.0", "Candor", "[1.0.0]"), dependencies);
        Assert.All(dependencies.Where(d => d.Id != "Candor"), d => Assert.DoesNotContain("Candor", d.Id, StringComparison.Ordinal));
    }

    [Fact]
    public void ToolPackage_DependsOnNothing_AndCarriesTheSdkItWasBuiltWith()
    {
        packages.AssertToolInstalled();
        var path = Path.Combine(packages.Tool, "Candor.Tool.1.0.0.nupkg");

        // A tool package brings every assembly it runs on, so its use of the SDK's internals cannot meet another build.
        Assert.Empty(Dependencies(path));
        using var package = ZipFile.OpenRead(path);
        var files = package.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("tools/net8.0/any/Candor.dll", files);
        Assert.Contains("tools/net8.0/any/Candor.CommandLine.dll", files);
        Assert.Equal(new Version(1, 0, 0, 0), Inspect(package, "tools/net8.0/any/Candor.dll").Version);
    }

    // The dependencies a package's nuspec declares: target framework, package ID and version range.
    private static List<(string Framework, string Id, string Version)> Dependencies(string nupkg)
    {
        using var package = ZipFile.OpenRead(nupkg);
        var nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var document = XDocument.Load(stream);
        return [.. document.Descendants().Where(e => e.Name.LocalName == "dependency").Select(d => (
            Framework: d.Parent?.Attribute("targetFramework")?.Value ?? "",
            Id: d.Attribute("id")!.Value,
            Version: d.Attribute("version")!.Value))];
    }

    // Whether an assembly in the package carries ReadyToRun code, and its assembly version.
    private static (bool Precompiled, Version Version) Inspect(ZipArchive package, string path)
    {
        var entry = package.GetEntry(path) ?? throw new Xunit.Sdk.XunitException($"the package has no {path}: {string.Join(", ", package.Entries.Select(e => e.FullName))}");
        using var copy = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(copy);
        }

        copy.Position = 0;
        using var reader = new PEReader(copy);
        var version = reader.GetMetadataReader().GetAssemblyDefinition().Version;
        return (reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, version);
    }

    // A project of its own, outside the repository's build settings, that restores Candor from the feed alone.
    private string WriteTool(string version, string feed) => ToolProject.Write(_root, "package-check", Manifest, Program, $"""
          <PropertyGroup>
            <CandorManifest>candor.json</CandorManifest>
            <RestoreSources>{feed}</RestoreSources>
            <RestorePackagesPath>{Path.Combine(_root, "packages")}</RestorePackagesPath>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Candor" Version="{version}" />
          </ItemGroup>
        """);
}
