using Candor.Consent;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Consent;

public sealed class ConsentGateTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FakeEnvironment _environment = new();
    private readonly StringWriter _stderr = new();
    private readonly string _homePath;

    public ConsentGateTests()
    {
        _homePath = _temp.Combine("home");
        _environment.With(CandorHome.Variable, _homePath);
    }

    public void Dispose()
    {
        _stderr.Dispose();
        _temp.Dispose();
    }

    private ConsentGate Gate(IFileSystem? files = null) =>
        new(_environment, files ?? PhysicalFileSystem.Instance, policyPath: _temp.Combine("policy.json"), disclosureOutput: _stderr);

    [Theory]
    [InlineData("SAMPLE_DISABLE_METRICS", "1")]
    [InlineData("DO_NOT_TRACK", "1")]
    [InlineData("CANDOR_TELEMETRY", "off")]
    [InlineData("CANDOR_TELEMETRY", "garbage")]
    public void Open_OptOutByVariable_WritesNoFileAtAllAndShowsNothing(string variable, string value)
    {
        _environment.With(variable, value);
        var files = new RecordingFileSystem();

        var outcome = Gate(files).Open(Manifests.Sample());

        Assert.Equal(TelemetryLevel.Off, outcome.Decision.Level);
        Assert.Null(outcome.Identity);
        Assert.Empty(files.Changes);
        Assert.Empty(_temp.Entries());
        Assert.Empty(_stderr.ToString());
    }

    [Fact]
    public void Open_OptOutByFlag_WritesNoFileAtAll()
    {
        var files = new RecordingFileSystem();

        var outcome = Gate(files).Open(Manifests.Sample(), commandLineOptOut: "--disable-metrics");

        Assert.Equal(ConsentSource.CommandLine, outcome.Decision.Source);
        Assert.Empty(files.Changes);
        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void Open_OptInProductNotEnabled_WritesNoFileAtAll()
    {
        var files = new RecordingFileSystem();

        var outcome = Gate(files).Open(Manifests.Sample(consent: "opt-in"));

        Assert.Equal(ConsentSource.ProductDefault, outcome.Decision.Source);
        Assert.Empty(files.Changes);
    }

    [Fact]
    public void Open_UserTurnedProductOff_WritesNothingMore()
    {
        new CandorSettings(new CandorHome(_homePath), PhysicalFileSystem.Instance).SetLevel(TelemetryLevel.Off, "sample");
        var before = _temp.Entries();
        var files = new RecordingFileSystem();

        var outcome = Gate(files).Open(Manifests.Sample());

        Assert.Equal(ConsentSource.UserProduct, outcome.Decision.Source);
        Assert.Empty(files.Changes);
        Assert.Equal(before, _temp.Entries());
    }

    [Fact]
    public void Open_FirstRun_ShowsDisclosureSendsNothing_NextRunIsOn()
    {
        var manifest = Manifests.Sample();

        var first = Gate().Open(manifest);
        var shown = _stderr.ToString();
        _stderr.GetStringBuilder().Clear();
        var second = Gate().Open(manifest);

        Assert.Equal(ConsentSource.FirstRunDisclosure, first.Decision.Source);
        Assert.Null(first.Identity);
        Assert.Contains(manifest.DisclosureText, shown);
        Assert.Equal(TelemetryLevel.All, second.Decision.Level);
        Assert.Equal(ConsentSource.ProductDefault, second.Decision.Source);
        Assert.NotNull(second.Identity);
        Assert.Empty(_stderr.ToString());
        Assert.Equal(["sample"], new CandorSettings(new CandorHome(_homePath), PhysicalFileSystem.Instance).Products);
    }

    [Fact]
    public void Open_FirstRun_FlushesWhatItWritesToTheDisk()
    {
        // Consent and identity must survive a power loss; only spooled events are written without a flush.
        var files = new RecordingFileSystem();

        Gate(files).Open(Manifests.Sample());

        var writes = files.Changes.Where(c => c.StartsWith("write", StringComparison.Ordinal)).ToList();
        Assert.Contains($"write {new CandorHome(_homePath).IdentityFile("sample")}", writes);
        Assert.All(writes, w => Assert.StartsWith("write ", w));
    }

    [Fact]
    public void Open_InCi_ShowsNoDisclosureAndCollectsTagged()
    {
        var outcome = Gate().Open(Manifests.Sample(), ciVendor: "github-actions");

        Assert.Equal(TelemetryLevel.All, outcome.Decision.Level);
        Assert.NotNull(outcome.Identity);
        Assert.Empty(_stderr.ToString());
    }

    [Fact]
    public void Open_InCiForSuppressingProduct_WritesNothing()
    {
        var files = new RecordingFileSystem();

        var outcome = Gate(files).Open(Manifests.Sample(ci: "suppress"), ciVendor: "github-actions");

        Assert.Equal(ConsentSource.ContinuousIntegration, outcome.Decision.Source);
        Assert.Empty(files.Changes);
    }

    [Fact]
    public void Open_NoHomeAtAll_IsOffWithHomeUnavailable()
    {
        var environment = new FakeEnvironment(configFolder: null);
        var gate = new ConsentGate(environment, PhysicalFileSystem.Instance, policyPath: _temp.Combine("policy.json"), disclosureOutput: _stderr);

        var outcome = gate.Open(Manifests.Sample());

        Assert.Equal(TelemetryLevel.Off, outcome.Decision.Level);
        Assert.Equal(ConsentSource.HomeUnavailable, outcome.Decision.Source);
        Assert.Contains("CANDOR_HOME", outcome.Decision.Detail);
        Assert.Null(outcome.Home);
        Assert.Empty(_stderr.ToString());
    }

    [Fact]
    public void Open_CandorHomeThatIsNotAPath_IsOffWithHomeUnavailable()
    {
        _environment.With(CandorHome.Variable, "bad\0home");

        var outcome = Gate().Open(Manifests.Sample());

        Assert.Equal(ConsentSource.HomeUnavailable, outcome.Decision.Source);
        Assert.Contains("CANDOR_HOME is not a usable path", outcome.Decision.Detail);
    }

    [Fact]
    public void Open_HomeUnderARegularFile_IsOffWithHomeUnavailableAndNeverThrows()
    {
        var blocker = _temp.Combine("file");
        File.WriteAllText(blocker, "x");
        _environment.With(CandorHome.Variable, Path.Combine(blocker, "candor"));

        var outcome = Gate().Open(Manifests.Sample());

        Assert.Equal(ConsentSource.HomeUnavailable, outcome.Decision.Source);
        Assert.Null(outcome.Identity);
        Assert.Empty(_stderr.ToString());
    }

    [Fact]
    public void Open_HomeInProc_IsOffWithHomeUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc is Linux's: not writable even by root.
        }

        _environment.With(CandorHome.Variable, "/proc/candor-test-home");

        Assert.Equal(ConsentSource.HomeUnavailable, Gate().Open(Manifests.Sample()).Decision.Source);
    }

    [Fact]
    public void Open_DiskFull_IsOffWithHomeUnavailable()
    {
        var files = new RecordingFileSystem { FailWrites = p => new IOException($"No space left on device: {p}") };

        var outcome = Gate(files).Open(Manifests.Sample());

        Assert.Equal(ConsentSource.HomeUnavailable, outcome.Decision.Source);
        Assert.Contains(_homePath, outcome.Decision.Detail);
    }

    [Fact]
    public void Open_MachinePolicyOff_BeatsEverythingAndWritesNothing()
    {
        File.WriteAllText(_temp.Combine("policy.json"), """{"telemetry":"off"}""");
        _environment.With("CANDOR_TELEMETRY", "all");
        var files = new RecordingFileSystem();

        var outcome = Gate(files).Open(Manifests.Sample());

        Assert.Equal(ConsentSource.MachinePolicy, outcome.Decision.Source);
        Assert.Empty(files.Changes);
    }

    [Fact]
    public void Open_ProgramDisabledTheProduct_IsOff()
    {
        // A product ID of this test's own, so the process-wide switch cannot affect other tests.
        var product = "gate-" + Guid.NewGuid().ToString("N")[..8];
        CandorTelemetry.Disable(product);
        try
        {
            var outcome = Gate().Open(Manifests.Sample(product: product));

            Assert.Equal(ConsentSource.Program, outcome.Decision.Source);
            Assert.Empty(_temp.Entries());
        }
        finally
        {
            CandorTelemetry.Enable(product);
        }
    }

    [Fact]
    public void Open_SettingsLockedByAnotherProcess_TriesOnceAndStillOpens()
    {
        var home = new CandorHome(_homePath);
        Gate().Open(Manifests.Sample());
        var files = new RecordingFileSystem();

        ConsentOutcome outcome;
        using (PhysicalFileSystem.Instance.TryLock(home.SettingsLock))
        {
            outcome = Gate(files).Open(Manifests.Sample(product: "second"));
        }

        Assert.Equal(ConsentSource.FirstRunDisclosure, outcome.Decision.Source);
        Assert.Single(files.Changes, c => c == $"lock {home.SettingsLock}");
        Assert.DoesNotContain("second", new CandorSettings(home, PhysicalFileSystem.Instance).Products);
        Gate().Open(Manifests.Sample(product: "second"));
        Assert.Contains("second", new CandorSettings(home, PhysicalFileSystem.Instance).Products);
    }

    [Fact]
    public void Open_LocalLevel_IsOnWithIdentity()
    {
        _environment.With("CANDOR_TELEMETRY", "local");
        Gate().Open(Manifests.Sample());

        var outcome = Gate().Open(Manifests.Sample());

        Assert.Equal(TelemetryLevel.Local, outcome.Decision.Level);
        Assert.NotNull(outcome.Identity);
    }

    [Fact]
    public void Open_DeferredDisclosure_ShowsNothingUntilAskedThenOnceAndTheNextRunCollects()
    {
        var deferred = Gate().Open(Manifests.Sample(), deferDisclosure: true);

        Assert.True(deferred.DisclosurePending);
        Assert.Equal(TelemetryLevel.Off, deferred.Decision.Level);
        Assert.Equal(ConsentSource.FirstRunDisclosure, deferred.Decision.Source);
        Assert.Empty(_stderr.ToString());

        Assert.True(Gate().ShowDisclosure(Manifests.Sample(), deferred));
        Assert.Contains(Manifests.Sample().DisclosureText, _stderr.ToString(), StringComparison.Ordinal);

        var next = Gate().Open(Manifests.Sample(), deferDisclosure: true);
        Assert.False(next.DisclosurePending);
        Assert.Equal(TelemetryLevel.All, next.Decision.Level);
        Assert.False(Gate().ShowDisclosure(Manifests.Sample(), next));
    }

    [Fact]
    public void Open_DeferredDisclosureNeverShown_ShowsItOnTheNextRun()
    {
        Gate().Open(Manifests.Sample(), deferDisclosure: true);

        var next = Gate().Open(Manifests.Sample());

        Assert.Equal(ConsentSource.FirstRunDisclosure, next.Decision.Source);
        Assert.Contains(Manifests.Sample().DisclosureText, _stderr.ToString(), StringComparison.Ordinal);
    }
}
