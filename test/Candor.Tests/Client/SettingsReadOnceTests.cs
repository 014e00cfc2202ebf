using Candor.Consent;
using Candor.Identity;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Client;

/// <summary>
/// What a real run reads of the home to decide (<see cref="ClientSetup.ForProcess(CandorOptions, Platform.IEnvironment, IFileSystem)"/>):
/// settings that turn every product off without their marker (written by hand) turn the run off before the policy or
/// the identity is read, and a run that goes on reads the settings once.
/// </summary>
public sealed class SettingsReadOnceTests
{
    [Theory]
    [InlineData("""{ "version": 1, "level": "off" }""", ConsentSource.UserMachine)]
    [InlineData("""{ "version": 1, "level": "OFF", "products": { "sample": { "level": "off", "seen": "2026-01-01T00:00:00+00:00" }, "other": { "seen": "2026-01-01T00:00:00+00:00" } } }""", ConsentSource.UserProduct)]
    public void SettingsWrittenByHand_ThatTurnEveryProductOff_AreAllThatIsRead(string settings, ConsentSource source)
    {
        using var home = new TempFolder();
        File.WriteAllText(Path.Combine(home.Path, "settings.json"), settings);
        var files = new RecordingFileSystem();

        var setup = ClientSetup.ForProcess(Options(), Environment(home), files);

        Assert.Equal(TelemetryLevel.Off, setup.RecordingLevel);
        Assert.Equal([Path.Combine(home.Path, "settings.json")], files.ContentReads);
        Assert.Empty(files.Changes);

        // Asked why, the run names the settings, as a full resolution would.
        Assert.Equal(source, setup.Decision.Source);
    }

    [Theory]
    [InlineData("""{ "version": 1, "level": "off", "products": { "sample": { "level": "all", "seen": "2026-01-01T00:00:00+00:00" } } }""", TelemetryLevel.All)]
    [InlineData("""{ "version": 1, "level": "all", "products": { "sample": { "seen": "2026-01-01T00:00:00+00:00" } } }""", TelemetryLevel.All)]
    [InlineData("""{ "version": 1, "level": "off", "products": { "sample": { "level": "bogus" } } }""", TelemetryLevel.Off)]
    public void SettingsThatDoNotTurnEveryProductOff_AreReadOnceForTheWholeRun(string settings, TelemetryLevel level)
    {
        using var home = new TempFolder();
        var settingsFile = Path.Combine(home.Path, "settings.json");
        File.WriteAllText(settingsFile, settings);

        // The product's disclosure was shown before, as for every run but its first.
        new IdentityStore(new CandorHome(home.Path), PhysicalFileSystem.Instance, TimeProvider.System).RecordDisclosure("sample", 1);
        var files = new RecordingFileSystem();

        var setup = ClientSetup.ForProcess(Options(), Environment(home), files);

        Assert.Equal(level, setup.Decision.Level);
        Assert.Single(files.ContentReads, settingsFile);
    }

    private static CandorOptions Options() => new()
    {
        Manifest = Manifests.Sample(),
        IngestionKey = "settings-read-once-key",
        Endpoint = new Uri("http://127.0.0.1:9"),
        DisclosureWriter = TextWriter.Null,
    };

    private static FakeEnvironment Environment(TempFolder home) => new FakeEnvironment().With(CandorHome.Variable, home.Path);
}
