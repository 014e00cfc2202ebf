using Candor.Consent;
using Candor.Manifest;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Consent;

public sealed class ConsentResolverTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FakeEnvironment _environment = new();
    private TelemetryManifest _manifest = Manifests.Sample();
    private SettingsSnapshot _settings = SettingsSnapshot.Empty;
    private MachinePolicy? _policy;
    private bool _programDisabled;
    private string? _flag;
    private string? _ci;
    private string? _homeProblem;
    private bool _canSend = true;
    private bool _printing;
    private int _canSendAsked;

    public void Dispose() => _temp.Dispose();

    private ConsentDecision Resolve() => ConsentResolver.Resolve(new ConsentInputs
    {
        Manifest = _manifest,
        Environment = _environment,
        Settings = _settings,
        Policy = _policy,
        ProgramDisabled = _programDisabled,
        CommandLineOptOut = _flag,
        CiVendor = _ci,
        HomeProblem = _homeProblem,
        CanSend = () =>
        {
            _canSendAsked++;
            return _canSend;
        },
        Printing = _printing,
    });

    private void PolicyOff()
    {
        var path = _temp.Combine("policy.json");
        File.WriteAllText(path, """{"telemetry":"off"}""");
        _policy = MachinePolicy.Read(PhysicalFileSystem.Instance, path);
    }

    private void Settings(string? machine = null, string? product = null)
    {
        var document = new SettingsDocument { Level = machine };
        if (product is not null)
        {
            document.Products["sample"] = new ProductSettings { Level = product };
        }

        _settings = SettingsSnapshot.From(document);
    }

    private static void AssertDecision(ConsentDecision decision, TelemetryLevel level, ConsentSource source, string detail)
    {
        Assert.Equal(level, decision.Level);
        Assert.Equal(source, decision.Source);
        Assert.Equal(detail, decision.Detail);
    }

    // --- a build that cannot send (a private build) ---

    [Theory]
    [InlineData(null, false, TelemetryLevel.Off, ConsentSource.PrivateBuild)]
    [InlineData("all", false, TelemetryLevel.Off, ConsentSource.PrivateBuild)]
    [InlineData("errors", false, TelemetryLevel.Off, ConsentSource.PrivateBuild)]
    [InlineData("local", false, TelemetryLevel.Local, ConsentSource.CandorVariable)]
    [InlineData(null, true, TelemetryLevel.All, ConsentSource.ProductDefault)]
    [InlineData("errors", true, TelemetryLevel.Errors, ConsentSource.CandorVariable)]
    [InlineData("off", false, TelemetryLevel.Off, ConsentSource.CandorVariable)]
    public void PrivateBuild_RecordsOnlyWhatIsKeptLocallyOrPrinted(string? level, bool printing, TelemetryLevel expected, ConsentSource source)
    {
        _canSend = false;
        _printing = printing;
        if (level is not null)
        {
            _environment.With(ConsentResolver.CandorVariable, level);
        }

        var decision = Resolve();

        Assert.Equal(expected, decision.Level);
        Assert.Equal(source, decision.Source);
    }

    [Fact]
    public void CanSend_IsNotAskedWhenTheRunIsOffAnyway()
    {
        _canSend = false;
        _environment.With("DO_NOT_TRACK", "1");

        Assert.Equal(ConsentSource.DoNotTrack, Resolve().Source);
        Assert.Equal(0, _canSendAsked);
    }

    // --- each source alone ---

    [Fact]
    public void Resolve_NothingSpeaks_OptOutProductIsOn()
    {
        AssertDecision(Resolve(), TelemetryLevel.All, ConsentSource.ProductDefault, "sample is opt-out: on unless you turn it off");
    }

    [Fact]
    public void Resolve_NothingSpeaks_OptInProductIsOff()
    {
        _manifest = Manifests.Sample(consent: "opt-in");

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.ProductDefault, "sample is opt-in: off until you turn it on");
    }

    [Fact]
    public void Resolve_MachinePolicyOff_IsOff()
    {
        PolicyOff();

        var decision = Resolve();

        Assert.Equal(TelemetryLevel.Off, decision.Level);
        Assert.Equal(ConsentSource.MachinePolicy, decision.Source);
        Assert.Contains("policy.json: telemetry = off", decision.Detail);
    }

    [Fact]
    public void Resolve_PolicyThatForcesNothing_DoesNotSpeak()
    {
        _policy = MachinePolicy.None("/etc/candor/policy.json");

        Assert.Equal(ConsentSource.ProductDefault, Resolve().Source);
    }

    [Fact]
    public void Resolve_ProgramDisabled_IsOff()
    {
        _programDisabled = true;

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.Program, "the program called CandorTelemetry.Disable()");
    }

    [Fact]
    public void Resolve_CommandLineFlag_IsOffAndNamesTheFlag()
    {
        _flag = "--disable-metrics";

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.CommandLine, "--disable-metrics");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("YES")]
    [InlineData("anything")]
    public void Resolve_ProductVariableSet_IsOffAndNamesIt(string value)
    {
        _environment.With("SAMPLE_DISABLE_METRICS", value);

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.ProductVariable, $"SAMPLE_DISABLE_METRICS={value}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("false")]
    [InlineData("no")]
    [InlineData("off")]
    [InlineData(" ")]
    public void Resolve_ProductVariableUnsetByValue_DoesNotSpeak(string value)
    {
        _environment.With("SAMPLE_DISABLE_METRICS", value);

        Assert.Equal(ConsentSource.ProductDefault, Resolve().Source);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("True")]
    public void Resolve_DoNotTrack_IsOff(string value)
    {
        _environment.With("DO_NOT_TRACK", value);

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.DoNotTrack, $"DO_NOT_TRACK={value}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("false")]
    public void Resolve_DoNotTrackEmptyZeroOrFalse_DoesNotSpeak(string value)
    {
        _environment.With("DO_NOT_TRACK", value);

        Assert.Equal(ConsentSource.ProductDefault, Resolve().Source);
    }

    [Theory]
    [InlineData("off", TelemetryLevel.Off)]
    [InlineData("local", TelemetryLevel.Local)]
    [InlineData("Errors", TelemetryLevel.Errors)]
    [InlineData("ALL", TelemetryLevel.All)]
    public void Resolve_CandorVariable_SetsAnyLevel(string value, TelemetryLevel level)
    {
        _environment.With("CANDOR_TELEMETRY", value);

        AssertDecision(Resolve(), level, ConsentSource.CandorVariable, $"CANDOR_TELEMETRY={value}");
    }

    [Theory]
    [InlineData("on")]
    [InlineData("1")]
    [InlineData("verbose")]
    public void Resolve_CandorVariableUnrecognised_IsOffAndSaysSo(string value)
    {
        _environment.With("CANDOR_TELEMETRY", value);

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.CandorVariable, $"CANDOR_TELEMETRY={value} is not off|local|errors|all, so off");
    }

    [Fact]
    public void Resolve_CandorVariableEmpty_DoesNotSpeak()
    {
        _environment.With("CANDOR_TELEMETRY", "  ");

        Assert.Equal(ConsentSource.ProductDefault, Resolve().Source);
    }

    [Fact]
    public void Resolve_UserProductChoice_Decides()
    {
        Settings(product: "local");

        AssertDecision(Resolve(), TelemetryLevel.Local, ConsentSource.UserProduct, "settings.json: products.sample = local");
    }

    [Fact]
    public void Resolve_UserMachineChoice_Decides()
    {
        Settings(machine: "off");

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.UserMachine, "settings.json: level = off");
    }

    [Fact]
    public void Resolve_SettingThatIsNotALevel_IsOffAndSaysSo()
    {
        Settings(product: "sometimes");

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.UserProduct, "settings.json: products.sample = 'sometimes' is not off|local|errors|all, so off");
    }

    [Fact]
    public void Resolve_OptInProductEnabledByTheUser_IsOn()
    {
        _manifest = Manifests.Sample(consent: "opt-in");
        Settings(product: "all");

        AssertDecision(Resolve(), TelemetryLevel.All, ConsentSource.UserProduct, "settings.json: products.sample = all");
    }

    [Fact]
    public void Resolve_OptInProductEnabledByCandorVariable_IsOn()
    {
        _manifest = Manifests.Sample(consent: "opt-in");
        _environment.With("CANDOR_TELEMETRY", "errors");

        Assert.Equal(TelemetryLevel.Errors, Resolve().Level);
    }

    [Fact]
    public void Resolve_OtherProductsChoice_DoesNotApply()
    {
        var document = new SettingsDocument();
        document.Products["other"] = new ProductSettings { Level = "off" };
        _settings = SettingsSnapshot.From(document);

        Assert.Equal(ConsentSource.ProductDefault, Resolve().Source);
    }

    [Fact]
    public void Resolve_CiRunOfATaggingProduct_StaysOn()
    {
        _ci = "github-actions";

        Assert.Equal(TelemetryLevel.All, Resolve().Level);
    }

    [Fact]
    public void Resolve_CiRunOfASuppressingProduct_IsOff()
    {
        _manifest = Manifests.Sample(ci: "suppress");
        _ci = "gitlab";

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.ContinuousIntegration, "CI run (gitlab) and sample collects nothing in CI");
    }

    [Fact]
    public void Resolve_HomeUnavailable_IsOff()
    {
        _homeProblem = "no Candor home";

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.HomeUnavailable, "no Candor home");
    }

    [Fact]
    public void Resolve_HomeUnavailableAtLocalLevel_IsOff()
    {
        _environment.With("CANDOR_TELEMETRY", "local");
        _homeProblem = "no Candor home";

        Assert.Equal(ConsentSource.HomeUnavailable, Resolve().Source);
    }

    // --- precedence: the earlier source wins, and is the one named ---

    [Fact]
    public void Precedence_PolicyBeatsProgram()
    {
        PolicyOff();
        _programDisabled = true;

        Assert.Equal(ConsentSource.MachinePolicy, Resolve().Source);
    }

    [Fact]
    public void Precedence_PolicyBeatsCandorVariableAll()
    {
        PolicyOff();
        _environment.With("CANDOR_TELEMETRY", "all");

        Assert.Equal(ConsentSource.MachinePolicy, Resolve().Source);
    }

    [Fact]
    public void Precedence_ProgramBeatsFlag()
    {
        _programDisabled = true;
        _flag = "--disable-telemetry";

        Assert.Equal(ConsentSource.Program, Resolve().Source);
    }

    [Fact]
    public void Precedence_FlagBeatsProductVariable()
    {
        _flag = "--disable-telemetry";
        _environment.With("SAMPLE_DISABLE_METRICS", "1");

        Assert.Equal(ConsentSource.CommandLine, Resolve().Source);
    }

    [Fact]
    public void Precedence_ProductVariableBeatsDoNotTrack()
    {
        _environment.With("SAMPLE_DISABLE_METRICS", "1").With("DO_NOT_TRACK", "1");

        Assert.Equal(ConsentSource.ProductVariable, Resolve().Source);
    }

    [Fact]
    public void Precedence_DoNotTrackBeatsCandorVariableAll()
    {
        _environment.With("DO_NOT_TRACK", "1").With("CANDOR_TELEMETRY", "all");

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.DoNotTrack, "DO_NOT_TRACK=1");
    }

    [Fact]
    public void Precedence_CandorVariableBeatsUserProductChoice()
    {
        _environment.With("CANDOR_TELEMETRY", "local");
        Settings(product: "all");

        Assert.Equal(ConsentSource.CandorVariable, Resolve().Source);
        Assert.Equal(TelemetryLevel.Local, Resolve().Level);
    }

    [Fact]
    public void Precedence_CandorVariableOffBeatsUserChoiceAll()
    {
        _environment.With("CANDOR_TELEMETRY", "off");
        Settings(machine: "all", product: "all");

        AssertDecision(Resolve(), TelemetryLevel.Off, ConsentSource.CandorVariable, "CANDOR_TELEMETRY=off");
    }

    [Fact]
    public void Precedence_UserProductBeatsUserMachine()
    {
        Settings(machine: "off", product: "errors");

        AssertDecision(Resolve(), TelemetryLevel.Errors, ConsentSource.UserProduct, "settings.json: products.sample = errors");
    }

    [Fact]
    public void Precedence_UserMachineBeatsProductDefault()
    {
        Settings(machine: "local");

        Assert.Equal(ConsentSource.UserMachine, Resolve().Source);
    }

    [Fact]
    public void Precedence_UserOffBeatsHomeUnavailable()
    {
        Settings(machine: "off");
        _homeProblem = "home is a file";

        Assert.Equal(ConsentSource.UserMachine, Resolve().Source);
    }

    [Fact]
    public void Precedence_DoNotTrackBeatsCiSuppression()
    {
        _manifest = Manifests.Sample(ci: "suppress");
        _ci = "jenkins";
        _environment.With("DO_NOT_TRACK", "1");

        Assert.Equal(ConsentSource.DoNotTrack, Resolve().Source);
    }

    [Fact]
    public void Precedence_CiSuppressionBeatsUserChoiceAll()
    {
        _manifest = Manifests.Sample(ci: "suppress");
        _ci = "jenkins";
        Settings(product: "all");

        Assert.Equal(ConsentSource.ContinuousIntegration, Resolve().Source);
    }

    [Fact]
    public void Precedence_CiSuppressionBeatsHomeUnavailable()
    {
        _manifest = Manifests.Sample(ci: "suppress");
        _ci = "generic";
        _homeProblem = "no home";

        Assert.Equal(ConsentSource.ContinuousIntegration, Resolve().Source);
    }

    [Fact]
    public void Precedence_OptInDefaultOffBeatsHomeUnavailable()
    {
        _manifest = Manifests.Sample(consent: "opt-in");
        _homeProblem = "no home";

        Assert.Equal(ConsentSource.ProductDefault, Resolve().Source);
    }
}
