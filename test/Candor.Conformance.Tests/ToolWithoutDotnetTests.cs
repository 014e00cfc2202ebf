namespace Candor.Conformance.Tests;

/// <summary>
/// A tool shipped with the runtime inside (self-contained, or Native AOT), run on a machine where no .NET host can be
/// found: its own executable becomes its uploader, and the events of a single run still reach the collector.
/// </summary>
public abstract class ToolWithoutDotnetTests<TFixture>(TFixture sample)
    where TFixture : ToolWithoutDotnetTests<TFixture>.PublishedTool
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
        foreach (var (name, value) in sample.AsUploader(user.Home))
        {
            user.Environment[name] = value;
        }

        var run = await user.RunAsync(sample.Tool, "Ada");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Output);
    }

    /// <summary>The collector, and the AOT sample published as <paramref name="configuration"/> with <paramref name="options"/>.</summary>
    public abstract class PublishedTool(string configuration, params string[] options) : SampleFixture
    {
        public string Tool { get; private set; } = "";

        /// <summary>The variables the SDK sets when it starts the tool as its uploader.</summary>
        public abstract IEnumerable<(string Name, string Value)> AsUploader(string home);

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/Candor.Samples.Aot/candor.json"));
            var output = Path.Combine(Collector.Root, configuration);

            // A configuration of each kind's own, so the two publishes of one project share no intermediate files.
            var published = await SampleProcess.RunBuildStepAsync(
                "dotnet",
                ["publish", Path.Combine(SampleProcess.RepositoryRoot, "samples/Candor.Samples.Aot/Candor.Samples.Aot.csproj"), "-c", configuration,
                    "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, .. options, "-o", output,
                    $"-p:CandorIngestionKey={Key}", $"-p:CandorEndpoint={Collector.Endpoint}", "-nologo", "-v", "q"],
                new Dictionary<string, string>(),
                SampleProcess.RepositoryRoot);
            Assert.True(published.ExitCode == 0, $"publishing the sample ({configuration}) failed:\n{published.Output}\n{published.Error}");
            Tool = Path.Combine(output, "hello-candor");
        }
    }
}

/// <summary>Native AOT: the SDK's module initializer, which runs before Main, does the upload.</summary>
public sealed class NativeAotToolTests(NativeAotToolTests.Fixture sample)
    : ToolWithoutDotnetTests<NativeAotToolTests.Fixture>(sample), IClassFixture<NativeAotToolTests.Fixture>
{
    public sealed class Fixture() : PublishedTool("Conformance")
    {
        public override IEnumerable<(string Name, string Value)> AsUploader(string home) => [("CANDOR_UPLOADER_HOME", home)];
    }
}

/// <summary>Self-contained and compiled at run time: the uploader, as the tool's startup hook, does the upload.</summary>
public sealed class SelfContainedToolTests(SelfContainedToolTests.Fixture sample)
    : ToolWithoutDotnetTests<SelfContainedToolTests.Fixture>(sample), IClassFixture<SelfContainedToolTests.Fixture>
{
    public sealed class Fixture() : PublishedTool("ConformanceSelfContained", "--self-contained", "-p:PublishAot=false")
    {
        public override IEnumerable<(string Name, string Value)> AsUploader(string home) =>
            [("CANDOR_UPLOADER_HOME", home), ("DOTNET_STARTUP_HOOKS", Path.Combine(Path.GetDirectoryName(Tool)!, "candor-upload", "candor-upload.dll"))];
    }
}
