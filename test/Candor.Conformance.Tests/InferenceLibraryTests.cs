using System.Text.Json;
using Microsoft.Diagnostics.Tracing;
using static Candor.Conformance.Tests.RawEvents;

namespace Candor.Conformance.Tests;

/// <summary>
/// ONNX Runtime's page: telemetry inside a library, turned on and off through the library's API; session
/// creation, runtime errors and runtime performance; a platform trace provider; no collection at all in a
/// private build. Each test runs <c>samples/inference</c> as a real process against the real collector.
/// </summary>
public sealed class InferenceLibraryTests(InferenceLibraryTests.Fixture sample) : IClassFixture<InferenceLibraryTests.Fixture>
{
    private const string Product = "tiny-inference";

    [Fact]
    public async Task OfficialBuild_SendsSessionCreationAndPerformance_WithOnlyTheDeclaredFields()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "model.onnx", "1", "1");

        var run = await user.RunAsync(sample.Official, "model.onnx", "1", "2");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal("5 11", run.Output.Trim());
        Assert.Equal(["runtime-performance", "session-creation"], events.Select(e => e.GetProperty("event").GetString()).Order());
        var creation = events.Single(e => e.GetProperty("event").GetString() == "session-creation");
        Assert.Equal(
            """{"executionProvider":"cpu","modelFormat":"onnx","modelSize":"<1000000","optimization":"all"}""",
            Sorted(creation.GetProperty("properties")));
        Assert.Equal(["loadTime", "nodeCount"], Members(creation.GetProperty("measurements")));
        Assert.Equal(2, creation.GetProperty("measurements").GetProperty("nodeCount").GetDouble());
        Assert.Equal("1.2.0", creation.GetProperty("version").GetString());
        var performance = events.Single(e => e.GetProperty("event").GetString() == "runtime-performance");
        Assert.Equal(["runs", "totalRunTime"], Members(performance.GetProperty("measurements")));
    }

    [Fact]
    public async Task PlatformTrace_AnEventPipeSessionOnTheCandorProvider_GetsEveryEventAsSent()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "model.onnx", "1", "1");

        // The runtime's own EventPipe file session, which is what dotnet-trace starts through the diagnostic port.
        var trace = Path.Combine(user.Folder, "tiny-infer.nettrace");
        user.Environment["DOTNET_EnableEventPipe"] = "1";
        user.Environment["DOTNET_EventPipeConfig"] = "Candor:0xFFFFFFFFFFFFFFFF:4";
        user.Environment["DOTNET_EventPipeOutputPath"] = trace;
        var run = await user.RunAsync(sample.Official, "model.onnx", "1", "2");
        var traced = TrackedEvents(trace);
        var delivered = await sample.DeliveredAsync(user);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["runtime-performance", "session-creation"], traced.Select(e => e.GetProperty("name").GetString()).Order());
        Assert.Equal(
            delivered.Select(e => e.GetProperty("id").GetString()).Order(StringComparer.Ordinal),
            traced.Select(e => e.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        var creation = traced.Single(e => e.GetProperty("name").GetString() == "session-creation");
        Assert.Equal(
            Sorted(delivered.Single(e => e.GetProperty("event").GetString() == "session-creation").GetProperty("properties")),
            Sorted(creation.GetProperty("properties")));
    }

    [Fact]
    public async Task FirstRun_ShowsTheDisclosureAndSendsNothing()
    {
        using var user = sample.NewUser();

        var first = await user.RunAsync(sample.Official, "model.onnx", "1", "1");

        Assert.Contains("TinyInference collects anonymous usage and error data", first.Error, StringComparison.Ordinal);
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task RuntimeError_SendsTheScrubbedSignature_NoMessageNoPath()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "model.onnx", "1", "1");

        var run = await user.RunAsync(sample.Official, "model.onnx", "1", "2", "3");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("The model takes 2 inputs, not 3", run.Error, StringComparison.Ordinal);
        var error = events.Single(e => e.GetProperty("event").GetString() == "runtime-error");
        Assert.Equal("run", error.GetProperty("properties").GetProperty("operation").GetString());
        var stack = error.GetProperty("properties").GetProperty("stack").GetString()!;
        Assert.StartsWith("System.ArgumentException at TinyInference.InferenceSession.Run", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("inputs", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("/", stack, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiDisable_BeforeTheFirstSession_CollectsNothingAndWritesNoFile()
    {
        using var user = sample.NewUser();

        await user.RunAsync(sample.Official, "--no-telemetry", "model.onnx", "1", "1");
        await user.RunAsync(sample.Official, "--no-telemetry", "model.onnx", "1", "1");

        Assert.False(Directory.Exists(user.Home));
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task ApiDisable_WhileASessionIsLive_StopsAtOnce_AndEnableResumes()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "model.onnx", "1", "1");

        // --toggle: after the session is created, disable, fail a run, enable, then run and end the session.
        await user.RunAsync(sample.Official, "--toggle", "model.onnx", "1", "2");
        var events = await sample.DeliveredAsync(user);

        // The failure happened while disabled: no runtime-error; the performance report came after Enable.
        Assert.Equal(["runtime-performance", "session-creation"], events.Select(e => e.GetProperty("event").GetString()).Order());
        var performance = events.Single(e => e.GetProperty("event").GetString() == "runtime-performance");
        Assert.Equal(2, performance.GetProperty("measurements").GetProperty("runs").GetDouble());
    }

    [Theory]
    [InlineData("DO_NOT_TRACK", "1")]
    [InlineData("CANDOR_TELEMETRY", "off")]
    public async Task UserOptOut_OverridesTheLibrary_NothingIsCollected(string variable, string value)
    {
        using var user = sample.NewUser();
        user.Environment[variable] = value;

        await user.RunAsync(sample.Official, "model.onnx", "1", "1");
        await user.RunAsync(sample.Official, "model.onnx", "1", "1");

        Assert.False(Directory.Exists(user.Home));
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task PrivateBuild_FromSource_CollectsAndSendsNothing()
    {
        using var user = sample.NewUser();

        await user.RunAsync(sample.Private, "model.onnx", "1", "1");
        await user.RunAsync(sample.Private, "model.onnx", "1", "2", "3");

        // Nothing for the product in the home at all: no spool, and no install identity made for data never collected.
        Assert.False(Directory.Exists(Path.Combine(user.Home, "products", Product)));
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    // The JSON payload of every EventTracked event of the Candor provider in an EventPipe trace file.
    private static List<JsonElement> TrackedEvents(string trace)
    {
        var tracked = new List<JsonElement>();
        using var source = new EventPipeEventSource(trace);
        source.Dynamic.All += e =>
        {
            if (e.ProviderName == "Candor" && (int)e.ID == 4)
            {
                tracked.Add(JsonDocument.Parse((string)e.PayloadByName("json")).RootElement.Clone());
            }
        };
        source.Process();
        return tracked;
    }

    /// <summary>The collector, with the sample built twice: officially (key and address) and from source (neither).</summary>
    public sealed class Fixture : SampleFixture
    {
        public string Official { get; private set; } = "";

        public string Private { get; private set; } = "";

        protected override async Task BuildAsync()
        {
            var key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/inference/TinyInference/candor.json"));
            Key = key;
            const string Project = "samples/inference/TinyInference.Host/TinyInference.Host.csproj";
            Official = Path.Combine(await SampleProcess.BuildAsync(Project, Path.Combine(Collector.Root, "official"), key, Collector.Endpoint), "tiny-infer");
            Private = Path.Combine(await SampleProcess.BuildAsync(Project, Path.Combine(Collector.Root, "private"), key: null, endpoint: null), "tiny-infer");
        }

        public override SampleUser NewUser()
        {
            var user = base.NewUser();
            File.WriteAllText(Path.Combine(user.Folder, "model.onnx"), "tiny-model v1\n1 2\n3 4\n");
            return user;
        }

        public Task<IReadOnlyList<JsonElement>> DeliveredAsync(SampleUser user) => DeliveredAsync(user, Product);
    }
}
