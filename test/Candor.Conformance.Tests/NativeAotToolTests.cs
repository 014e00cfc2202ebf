namespace Candor.Conformance.Tests;

/// <summary>
/// A tool published with Native AOT, as its author ships it, run on a machine where no .NET host can be found: its
/// own executable becomes its uploader, and the events of a single run still reach the collector.
/// </summary>
public sealed class NativeAotToolTests(NativeAotToolTests.Fixture sample) : IClassFixture<NativeAotToolTests.Fixture>
{
    private const string Product = "hello-candor";

    [Fact]
    public async Task OneRun_OnAMachineWithoutDotnet_ItsEventsArriveThroughTheToolItself()
    {
        using var user = sample.NewUser();
        // No dotnet on the path or in DOTNET_ROOT: as on a machine that only has this tool.
        user.Environment["PATH"] = Path.Combine(user.Folder, "empty");
        user.Environment["DOTNET_ROOT"] = "";
        await user.RunAsync(sample.Tool);

        var run = await user.RunAsync(sample.Tool, "Ada");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Hello, Ada!\n", run.Output);
        var delivered = await sample.DeliveredAsync(user, Product);
        Assert.Equal(["greet"], delivered.Select(RawEvents.Name));
    }

    [Fact]
    public async Task AsItsUploader_TheToolRunsNoneOfItsOwnCode()
    {
        using var user = sample.NewUser();
        user.Environment["CANDOR_UPLOADER_HOME"] = user.Home;

        var run = await user.RunAsync(sample.Tool, "Ada");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Output);
    }

    /// <summary>The collector, and the sample published with Native AOT as its official build.</summary>
    public sealed class Fixture : SampleFixture
    {
        public string Tool { get; private set; } = "";

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/Candor.Samples.Aot/candor.json"));
            var output = Path.Combine(Collector.Root, "aot");
            var published = await SampleProcess.RunBuildStepAsync(
                "dotnet",
                ["publish", Path.Combine(SampleProcess.RepositoryRoot, "samples/Candor.Samples.Aot/Candor.Samples.Aot.csproj"), "-c", "Conformance", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "-o", output,
                    $"-p:CandorIngestionKey={Key}", $"-p:CandorEndpoint={Collector.Endpoint}", "-nologo", "-v", "q"],
                new Dictionary<string, string>(),
                SampleProcess.RepositoryRoot);
            Assert.True(published.ExitCode == 0, $"publishing the Native AOT sample failed:\n{published.Output}\n{published.Error}");
            Tool = Path.Combine(output, "hello-candor");
        }
    }
}
