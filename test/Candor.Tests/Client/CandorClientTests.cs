using System.Security.Cryptography;
using System.Text;
using Candor.Consent;
using Candor.Identity;
using Candor.Manifest;
using Candor.Privacy;
using Candor.Testing;
using Candor.Tests.Support;
using Candor.Tracking;

namespace Candor.Tests.Client;

public class CandorClientTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public void Track_DeclaredEvent_ReachesTheSinkWithStampAndContext()
    {
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(), sink, options: new CandorOptions { ProductVersion = "2.1.0+abc" });

        client.Event("install").With("triplet", "x64-linux").With("cached", true).With("buildTime", TimeSpan.FromSeconds(2)).Track();
        Assert.True(client.Flush(Wait));

        var recorded = Assert.Single(sink.Events);
        Assert.Equal("install", recorded.Name);
        Assert.Equal("x64-linux", recorded.Property("triplet"));
        Assert.Equal("true", recorded.Property("cached"));
        Assert.Equal(2000, recorded.Measurement("buildTime"));
        Assert.Equal("sample", recorded.Event.Product);
        Assert.Equal("2.1.0", recorded.Event.Context.Version);
        Assert.NotEqual(Guid.Empty, recorded.Event.Install);
    }

    [Fact]
    public void Track_KeyedFields_AreStableWithinAnInstall_AndDifferBetweenInstalls()
    {
        // Each test client is an install of its own, with its own secret: a list item is hashed too.
        var first = TrackKeyed(["zlib", "private-thing", "private-thing"], "data.csv");
        var second = TrackKeyed(["zlib", "private-thing"], "data.csv");

        var firstItems = first.Property("packages")!.Split(',');
        Assert.Equal("zlib", firstItems[0]);
        Assert.Matches("^[0-9a-f]{32}$", firstItems[1]);
        Assert.Equal(firstItems[1], firstItems[2]);
        Assert.NotEqual(firstItems[1], second.Property("packages")!.Split(',')[1]);
        Assert.Matches("^[0-9a-f]{32}$", first.Property("dataset")!);
        Assert.NotEqual(first.Property("dataset"), second.Property("dataset"));
    }

    [Fact]
    public void Track_KeyedField_IsNotReversedByADictionaryKeyedWithWhatTheBuildHolds()
    {
        // What an attacker with the shipped tool can compute: keys from the product name and any build-time input (the
        // earlier derivation, with and without a build secret), tried against a dictionary holding the real file name.
        var recorded = TrackKeyed(["zlib"], "data.csv");
        string[] dictionary = ["train.csv", "data.csv", "test.csv", "dataset.csv"];
        string?[] buildInputs = [null, "", "keyed", "Keyed", "1", "s3cret"];

        var dataset = recorded.Property("dataset");
        foreach (var input in buildInputs)
        {
            var keys = new[]
            {
                SHA256.HashData(Encoding.UTF8.GetBytes($"candor/product-key/v1\0keyed\0{input}")),
                Encoding.UTF8.GetBytes($"keyed{input}"),
            };
            foreach (var key in keys)
            {
                Assert.DoesNotContain(dictionary, word => KeyedHash.Compute(key, word) == dataset);
            }
        }
    }

    private RecordedEvent TrackKeyed(string[] packages, string dataset)
    {
        var manifest = TelemetryManifest.Parse("""
            {
              "product": "keyed", "name": "Keyed", "revision": 1, "consent": "opt-out",
              "disclosure": { "version": 1, "text": "keyed collects usage data." },
              "events": [
                { "name": "run", "description": "A run.", "purpose": "Count runs.", "level": "usage",
                  "properties": [
                    { "name": "packages", "kind": "list", "maxItems": 5, "description": "Packages.",
                      "item": { "kind": "nameOrHash", "allow": ["zlib"], "description": "A package." } },
                    { "name": "dataset", "kind": "hash", "description": "A file name, hashed." }
                  ] }
              ]
            }
            """);
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(manifest, sink);

        client.Event("run").With("packages", packages).With("dataset", dataset).Track();
        Assert.True(client.Flush(Wait));
        var recorded = Assert.Single(sink.Events);
        Assert.Null(recorded.Event.Verifier);
        return recorded;
    }

    [Fact]
    public void Print_WritesExactlyTheJsonThatIsRecorded()
    {
        var sink = new InMemorySink();
        using var printed = new StringWriter();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(), sink, options: new CandorOptions { PrintEvents = true, PrintWriter = printed });

        client.Event("install").With("packages", ["zlib", "private-thing"]).Track();
        client.Event("crash").With("stack", new InvalidOperationException("secret")).Track();
        Assert.True(client.Flush(Wait));

        var lines = printed.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(sink.Events.Select(e => e.Json), lines);
        Assert.DoesNotContain("private-thing", printed.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", printed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Print_ByCandorTelemetryDebug_PrintsToo()
    {
        using var printed = new StringWriter();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(), new InMemorySink(), Env("CANDOR_TELEMETRY_DEBUG", "1"), new CandorOptions { PrintWriter = printed });

        client.Track("crash");
        Assert.True(client.Flush(Wait));

        Assert.Contains("\"name\":\"crash\"", printed.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DO_NOT_TRACK", "1", ConsentSource.DoNotTrack)]
    [InlineData("CANDOR_TELEMETRY", "off", ConsentSource.CandorVariable)]
    [InlineData("SAMPLE_DISABLE_METRICS", "true", ConsentSource.ProductVariable)]
    public void OptOutVariable_RecordsNothingAndSaysWhy(string variable, string value, ConsentSource source)
    {
        var sink = new InMemorySink();
        using var printed = new StringWriter();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(), sink, Env(variable, value), new CandorOptions { PrintEvents = true, PrintWriter = printed });

        client.Track("install");
        client.Event("crash").With("stack", new InvalidOperationException()).Track();
        Assert.True(client.Flush(Wait));

        Assert.False(client.IsEnabled);
        Assert.Equal(source, client.Consent.Source);
        Assert.Empty(sink.Events);
        Assert.Empty(printed.ToString());
        Assert.Empty(client.Dropped);
    }

    [Fact]
    public void CommandLineOptOut_RecordsNothing()
    {
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(), sink, options: new CandorOptions { CommandLineOptOut = "--disable-metrics" });

        client.Track("install");
        Assert.True(client.Flush(Wait));

        Assert.Equal(ConsentSource.CommandLine, client.Consent.Source);
        Assert.Empty(sink.Events);
    }

    [Fact]
    public void ErrorsLevel_RecordsOnlyErrorEvents()
    {
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(), sink, Env("CANDOR_TELEMETRY", "errors"));

        client.Track("install");
        client.Track("crash");
        Assert.True(client.Flush(Wait));

        Assert.Equal(["crash"], sink.Events.Select(e => e.Name));
    }

    [Fact]
    public void Undeclared_IsDroppedAndCountedByReason_NeverThrown()
    {
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(Manifests.Sample(), sink);

        client.Track("uninstall");
        client.Event("install").With("userName", "alice").With("triplet", "not-a-triplet").Track();
        Assert.True(client.Flush(Wait));

        var recorded = Assert.Single(sink.Events);
        Assert.Null(recorded.Property("userName"));
        Assert.Null(recorded.Property("triplet"));
        Assert.Equal(1, client.Dropped[DropReason.UndeclaredEvent]);
        Assert.Equal(1, client.Dropped[DropReason.UndeclaredProperty]);
        Assert.Equal(1, client.Dropped[DropReason.InvalidValue]);
    }

    [Fact]
    public void ProgramDisable_StopsAClientThatIsRunning_EnableResumesIt_AndAClientBuiltWhileDisabledIsOff()
    {
        // A product of its own: the switch is process-wide and other tests run beside this one.
        var manifest = Manifests.Sample(product: "switch-test");
        var sink = new InMemorySink();
        using var client = CandorClient.CreateForTesting(manifest, sink);

        CandorTelemetry.Disable("switch-test");
        client.Track("install");
        using var builtWhileDisabled = CandorClient.CreateForTesting(manifest, sink);
        Assert.Equal(TelemetryLevel.Off, client.Level);
        CandorTelemetry.Enable("switch-test");
        client.Track("crash");
        builtWhileDisabled.Track("install");
        Assert.True(client.Flush(Wait));
        Assert.True(builtWhileDisabled.Flush(Wait));

        Assert.Equal(["crash"], sink.Events.Select(e => e.Name));
        Assert.Equal(TelemetryLevel.All, client.Level);
        Assert.Equal(ConsentSource.Program, builtWhileDisabled.Consent.Source);
    }

    [Fact]
    public async Task Shutdown_RunsOnce_AndLaterTracksAreDroppedQuietly()
    {
        var sink = new InMemorySink();
        var client = CandorClient.CreateForTesting(Manifests.Sample(), sink);
        client.Track("install");

        Assert.True(await client.ShutdownAsync(Wait));
        Assert.True(await client.ShutdownAsync(TimeSpan.Zero));
        client.Track("install");
        await client.DisposeAsync();

        Assert.Single(sink.Events);
        Assert.Equal(1, client.Dropped[DropReason.ShutDown]);
    }

    private static Dictionary<string, string> Env(string name, string value) => new() { [name] = value };
}
