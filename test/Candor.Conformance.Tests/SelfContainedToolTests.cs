namespace Candor.Conformance.Tests;

/// <summary>
/// A tool published self-contained (the runtime inside, compiled at run time), run on a machine where no .NET host
/// can be found: its own executable, with the uploader as its startup hook, sends the events of a single run.
/// </summary>
public sealed class SelfContainedToolTests(SelfContainedToolTests.Fixture sample) : IClassFixture<SelfContainedToolTests.Fixture>
{
    private const string Product = "hello-candor";

    [Fact]
    public async Task OneRun_OnAMachineWithoutDotnet_ItsEventsArriveThroughTheToolItself()
    {
        using var user = sample.NewUser();
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
        user.Environment["DOTNET_STARTUP_HOOKS"] = Path.Combine(Path.GetDirectoryName(sample.Tool)!, "candor-upload", "candor-upload.dll");

        var run = await user.RunAsync(sample.Tool, "Ada");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Output);
    }

    /// <summary>The collector, and the Native AOT sample published self-contained and compiled at run time instead.</summary>
    public sealed class Fixture : SampleFixture
    {
        public string Tool { get; private set; } = "";

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/Candor.Samples.Aot/candor.json"));
            var output = Path.Combine(Collector.Root, "self-contained");
            // A configuration of its own: the Native AOT publish of the same project must not share its intermediate files.
            var published = await SampleProcess.RunBuildStepAsync(
                "dotnet",
                ["publish", Path.Combine(SampleProcess.RepositoryRoot, "samples/Candor.Samples.Aot/Candor.Samples.Aot.csproj"), "-c", "ConformanceSelfContained", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier,
                    "--self-contained", "-p:PublishAot=false", "-o", output, $"-p:CandorIngestionKey={Key}", $"-p:CandorEndpoint={Collector.Endpoint}", "-nologo", "-v", "q"],
                new Dictionary<string, string>(),
                SampleProcess.RepositoryRoot);
            Assert.True(published.ExitCode == 0, $"publishing the self-contained sample failed:\n{published.Output}\n{published.Error}");
            Tool = Path.Combine(output, "hello-candor");
        }
    }
}
