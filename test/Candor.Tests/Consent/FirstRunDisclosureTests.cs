using Candor.Consent;
using Candor.Identity;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Consent;

public sealed class FirstRunDisclosureTests : IDisposable
{
    private static readonly ConsentDecision On = new(TelemetryLevel.All, ConsentSource.ProductDefault, "sample is opt-out: on unless you turn it off");

    private readonly TempFolder _temp = new();
    private readonly IdentityStore _identities;
    private readonly StringWriter _output = new();

    public FirstRunDisclosureTests()
    {
        _identities = new IdentityStore(new CandorHome(_temp.Combine("home")), PhysicalFileSystem.Instance);
    }

    public void Dispose()
    {
        _output.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData(0, 1, null, true)]
    [InlineData(1, 1, null, false)]
    [InlineData(1, 2, null, true)]
    [InlineData(3, 2, null, false)]
    [InlineData(0, 1, "github-actions", false)]
    [InlineData(1, 2, "generic", false)]
    public void MustShow_DependsOnShownVersionAndCi(int shown, int current, string? ci, bool expected)
    {
        var identity = new InstallIdentity(Guid.NewGuid(), DateTimeOffset.UnixEpoch, shown);

        Assert.Equal(expected, FirstRunDisclosure.MustShow(Manifests.Sample(disclosureVersion: current), identity, ci));
    }

    [Fact]
    public void MustShow_NoIdentityYet_IsTrue()
    {
        Assert.True(FirstRunDisclosure.MustShow(Manifests.Sample(), identity: null, ciVendor: null));
    }

    [Fact]
    public void Apply_FirstRun_ShowsTextRecordsVersionAndSendsNothing()
    {
        var manifest = Manifests.Sample();
        var identity = _identities.GetOrCreate("sample");

        var decision = new FirstRunDisclosure(_identities, _output).Apply(On, manifest, identity, ciVendor: null);

        Assert.Equal(TelemetryLevel.Off, decision.Level);
        Assert.Equal(ConsentSource.FirstRunDisclosure, decision.Source);
        Assert.Contains(manifest.DisclosureText, _output.ToString());
        Assert.Equal(1, _identities.TryRead("sample")!.DisclosureVersion);
        Assert.Equal(identity.Install, _identities.TryRead("sample")!.Install);
    }

    [Fact]
    public void Apply_SecondRun_ShowsNothingAndKeepsTheDecision()
    {
        var manifest = Manifests.Sample();
        var disclosure = new FirstRunDisclosure(_identities, _output);
        disclosure.Apply(On, manifest, _identities.GetOrCreate("sample"), ciVendor: null);
        _output.GetStringBuilder().Clear();

        var decision = disclosure.Apply(On, manifest, _identities.TryRead("sample"), ciVendor: null);

        Assert.Same(On, decision);
        Assert.Empty(_output.ToString());
    }

    [Fact]
    public void Apply_DisclosureVersionRaised_ShowsItAgain()
    {
        var disclosure = new FirstRunDisclosure(_identities, _output);
        disclosure.Apply(On, Manifests.Sample(), _identities.GetOrCreate("sample"), ciVendor: null);
        _output.GetStringBuilder().Clear();

        var decision = disclosure.Apply(On, Manifests.Sample(disclosureVersion: 2), _identities.TryRead("sample"), ciVendor: null);

        Assert.Equal(ConsentSource.FirstRunDisclosure, decision.Source);
        Assert.NotEmpty(_output.ToString());
        Assert.Equal(2, _identities.TryRead("sample")!.DisclosureVersion);
    }

    [Fact]
    public void Apply_InCi_ShowsNothingRecordsNothingAndStaysOn()
    {
        var identity = _identities.GetOrCreate("sample");

        var decision = new FirstRunDisclosure(_identities, _output).Apply(On, Manifests.Sample(), identity, ciVendor: "gitlab");

        Assert.Same(On, decision);
        Assert.Empty(_output.ToString());
        Assert.Equal(0, _identities.TryRead("sample")!.DisclosureVersion);
    }

    [Fact]
    public void Apply_AlreadyOff_ShowsNothingAndWritesNothing()
    {
        var off = new ConsentDecision(TelemetryLevel.Off, ConsentSource.DoNotTrack, "DO_NOT_TRACK=1");

        var decision = new FirstRunDisclosure(_identities, _output).Apply(off, Manifests.Sample(), identity: null, ciVendor: null);

        Assert.Same(off, decision);
        Assert.Empty(_output.ToString());
        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void Apply_OutputClosed_StaysOffAndRecordsNothing()
    {
        var identity = _identities.GetOrCreate("sample");
        var closed = new StringWriter();
        closed.Dispose();

        var decision = new FirstRunDisclosure(_identities, closed).Apply(On, Manifests.Sample(), identity, ciVendor: null);

        Assert.Equal(TelemetryLevel.Off, decision.Level);
        Assert.Equal(ConsentSource.FirstRunDisclosure, decision.Source);
        Assert.Equal(0, _identities.TryRead("sample")!.DisclosureVersion);
    }

    [Fact]
    public void Apply_VersionCannotBeRecorded_IsOffWithHomeUnavailable()
    {
        var home = new CandorHome(_temp.Combine("other-home"));
        var identity = new IdentityStore(home, PhysicalFileSystem.Instance).GetOrCreate("sample");
        var failing = new IdentityStore(home, new RecordingFileSystem { FailWrites = p => new IOException($"disk full: {p}") });

        var decision = new FirstRunDisclosure(failing, _output).Apply(On, Manifests.Sample(), identity, ciVendor: null);

        Assert.Equal(ConsentSource.HomeUnavailable, decision.Source);
        Assert.Equal(TelemetryLevel.Off, decision.Level);
    }
}
