using Candor.Consent;
using Candor.Context;
using Candor.Identity;
using Candor.Platform;
using Candor.Storage;
using Candor.Testing;
using Candor.Tests.Support;
using CsCheck;

namespace Candor.Tests.Client;

/// <summary>
/// A tool's tests see the consent its users get: a client from <see cref="CandorClient.CreateForTesting"/> decides as
/// the consent gate does on a real home on disk, for a user who has seen the disclosure, whatever the variables say.
/// </summary>
public sealed class CreateForTestingConsentTests
{
    private static readonly (string Name, string[] Values)[] Variables =
    [
        ("DO_NOT_TRACK", ["1", "0", "true", "no", " "]),
        ("CANDOR_TELEMETRY", ["off", "local", "errors", "all", "on", "loud", ""]),
        ("SAMPLE_DISABLE_METRICS", ["1", "false"]),
        ("CI", ["true", "0"]),
        ("GITHUB_ACTIONS", ["true"]),
        ("CANDOR_TELEMETRY_DEBUG", ["0"]),
    ];

    [Fact]
    public void AnyEnvironment_IsDecidedAsTheGateDecidesOnARealHome()
    {
        var environments = Gen.Int[0, Variables.Length - 1].SelectMany(i => Gen.OneOf(Variables[i].Values).Select(v => (Variables[i].Name, Value: v))).Array[0, 4];
        var manifests = Gen.OneOf(Manifests.Sample(), Manifests.Sample(consent: "opt-in"), Manifests.Sample(ci: "suppress"));
        Gen.Select(environments, manifests, Gen.Bool).Sample((variables, manifest, flag) =>
        {
            var environment = new Dictionary<string, string>();
            foreach (var (name, value) in variables)
            {
                environment[name] = value;
            }

            var optOut = flag ? "--disable-metrics" : null;
            using var client = CandorClient.CreateForTesting(manifest, new InMemorySink(), environment, new CandorOptions { CommandLineOptOut = optOut });

            Assert.Equal(OnDisk(manifest, environment, optOut), client.Consent);
        });
    }

    [Fact]
    public void TheProgramsSwitch_IsHonouredAsInARealRun()
    {
        var manifest = Manifests.Sample(product: "switch-test");
        CandorTelemetry.Disable("switch-test");
        try
        {
            using var client = CandorClient.CreateForTesting(manifest, new InMemorySink());

            Assert.Equal(OnDisk(manifest, [], null), client.Consent);
            Assert.Equal(ConsentSource.Program, client.Consent.Source);
        }
        finally
        {
            CandorTelemetry.Enable("switch-test");
        }
    }

    // The real gate, on the disk, in a home whose user has seen the product's disclosure.
    private static ConsentDecision OnDisk(Candor.Manifest.TelemetryManifest manifest, Dictionary<string, string> environment, string? optOut)
    {
        using var temp = new TempFolder();
        var home = new CandorHome(temp.Path);
        new IdentityStore(home, PhysicalFileSystem.Instance).RecordDisclosure(manifest.Product, manifest.DisclosureVersion);
        var variables = new DictionaryEnvironment(new Dictionary<string, string>(environment) { [CandorHome.Variable] = temp.Path });
        var gate = new ConsentGate(variables, PhysicalFileSystem.Instance, policyPath: Path.Combine(temp.Path, "no-policy.json"), disclosureOutput: TextWriter.Null);
        return gate.Open(manifest, optOut, CiDetector.Detect(variables)).Decision;
    }
}
