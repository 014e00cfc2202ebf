using Candor.Catalog;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Tests.Support;
using Candor.Consent;
using Candor.Identity;
using Candor.Manifest;
using Candor.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Candor.CommandLine.Tests.Inspection;

public sealed class CandorMachineTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 6, 10, 12, 0, 0, TimeSpan.Zero);

    private readonly TempHome _temp = new();
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly TelemetryManifest _manifest = TelemetryManifest.Parse(TestTool.ManifestJson);

    public void Dispose() => _temp.Dispose();

    private CandorMachine Machine(FakeEnvironment? environment = null, string? policy = null)
    {
        var policyPath = Path.Combine(_temp.Root, "policy.json");
        if (policy is not null)
        {
            File.WriteAllText(policyPath, policy);
        }

        return new CandorMachine((environment ?? new FakeEnvironment()).With("CANDOR_HOME", _temp.Home.Root), PhysicalFileSystem.Instance, _clock, policyPath);
    }

    [Fact]
    public void Status_NothingOnDisk_IsTheDefaultWithTheNoticeDue_AndReadsOnly()
    {
        var status = Machine().Status("tool", _manifest);

        Assert.Equal(new ConsentDecision(TelemetryLevel.All, ConsentSource.ProductDefault, "tool is opt-out: on unless you turn it off"), status.Decision);
        Assert.True(status.NoticePending);
        Assert.Null(status.Identity);
        Assert.False(Directory.Exists(_temp.Home.Root));
    }

    [Fact]
    public void Status_MachinePolicyOff_WinsOverTheUsersChoice()
    {
        var machine = Machine(policy: """{"telemetry":"off"}""");
        machine.Settings.SetLevel(TelemetryLevel.All, "tool");

        var status = machine.Status("tool", _manifest);

        Assert.Equal(TelemetryLevel.Off, status.Decision!.Level);
        Assert.Equal(ConsentSource.MachinePolicy, status.Decision.Source);
        Assert.Equal(TelemetryLevel.All, status.Choice);
        Assert.False(status.NoticePending);
    }

    [Fact]
    public void Status_InCi_NeverHasTheNoticeDue()
    {
        var status = Machine(new FakeEnvironment().With("GITHUB_ACTIONS", "true")).Status("tool", _manifest);

        Assert.Equal(TelemetryLevel.All, status.Decision!.Level);
        Assert.False(status.NoticePending);
    }

    [Fact]
    public void Status_UnknownManifest_HasNoDecisionButTheStoredChoices()
    {
        var machine = Machine();
        machine.Settings.SetLevel(TelemetryLevel.Errors);

        var status = machine.Status("other", manifest: null);

        Assert.Null(status.Decision);
        Assert.Equal("other", status.Name);
        Assert.Equal(TelemetryLevel.Errors, status.MachineChoice);
    }

    [Fact]
    public void Products_AreTheSeenTheChosenAndTheRecorded_Sorted()
    {
        var machine = Machine();
        machine.Settings.SetLevel(TelemetryLevel.Local, "zeta");
        new SettingsStore(_temp.Home, PhysicalFileSystem.Instance, _clock).MarkSeen("alpha");
        new ProductRecordStore(_temp.Home, PhysicalFileSystem.Instance).Record(_manifest, "1.0.0", null, null);

        Assert.Equal(["alpha", "tool", "zeta"], machine.Products());
    }

    [Fact]
    public void Events_MergesSentAndLocal_OldestFirst_FromSinceOn()
    {
        var home = _temp.Home;
        Directory.CreateDirectory(home.ProductDirectory("tool"));
        File.WriteAllText(home.SentLog("tool"), """
            {"acknowledged":"2025-06-01T10:00:00+00:00","event":{"id":"6f9619ff-8b86-d011-b42d-00c04fc964ff","name":"a"}}
            {"acknowledged":"2025-06-09T10:00:00+00:00","event":{"id":"7f9619ff-8b86-d011-b42d-00c04fc964ff","name":"c"}}
            """);
        File.WriteAllText(home.LocalLog("tool"), """
            {"recorded":"2025-06-05T10:00:00+00:00","event":{"id":"8f9619ff-8b86-d011-b42d-00c04fc964ff","name":"b"}}
            not json
            """);

        var all = Machine().Events("tool");
        var recent = Machine().Events("tool", new DateTimeOffset(2025, 6, 5, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal([EventState.Sent, EventState.Local, EventState.Sent], all.Select(e => e.State));
        Assert.Equal(["b", "c"], recent.Select(e => System.Text.Json.JsonDocument.Parse(e.Json).RootElement.GetProperty("name").GetString()));
    }

    [Fact]
    public void ResetId_WithoutAHome_IsNull()
    {
        var machine = new CandorMachine(new FakeEnvironment(), PhysicalFileSystem.Instance, _clock);

        Assert.Null(machine.Home);
        Assert.NotNull(machine.HomeProblem);
        Assert.Null(machine.ResetId("tool"));
        Assert.Empty(machine.Products());
    }

    [Fact]
    public void ResetId_KeepsTheDisclosureShown()
    {
        new IdentityStore(_temp.Home, PhysicalFileSystem.Instance, _clock).RecordDisclosure("tool", 1);

        var reset = Machine().ResetId("tool");

        Assert.Equal(1, reset!.DisclosureVersion);
        Assert.False(Machine().Status("tool", _manifest).NoticePending);
    }
}
