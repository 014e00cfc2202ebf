using System.Text;
using Candor.Consent;
using Candor.Manifest;
using Candor.Platform;
using Candor.Storage;
using Candor.Tests.Support;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Consent;

/// <summary>
/// settings.off lets a run decide from two file times that the user's settings turn it off. It must never say so of
/// settings that turn any product on, whatever mix of changes through the store and edits by hand came before, and
/// it must say so after the store turned everything off, or it saves nothing.
/// </summary>
public sealed class SettingsOffMarkerTests : IDisposable
{
    private static readonly string[] Products = ["alpha", "beta", "gamma"];

    // "never-named" appears in no file: the machine-wide level or its own default decides for it.
    private static readonly TelemetryManifest[] Manifests =
        [.. Products.Select(p => Support.Manifests.Sample(product: p)), Support.Manifests.Sample(product: "never-named")];

    private static readonly string?[] Levels = [null, "off", "OFF", "all", "local", "errors", "bogus"];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void NeverSaysOff_OfSettingsThatTurnAProductOn_AndAlwaysAfterTheStoreTurnedEverythingOff()
    {
        var change = Gen.OneOf(
            Gen.Select(Gen.Int[0, Products.Length], Gen.Int[0, Levels.Length - 1]).Select(c => new Change(Kind.Store, c.Item1, c.Item2)),
            Gen.Select(Gen.Int[0, Products.Length], Gen.Int[0, Levels.Length - 1]).Select(c => new Change(Kind.HandEdit, c.Item1, c.Item2)),
            Gen.Const(new Change(Kind.Delete, 0, 0)),
            Gen.Const(new Change(Kind.Garbage, 0, 0)));

        change.Array[1, 12].Sample(changes =>
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
            var files = new MemoryFileSystem(time);
            var home = new CandorHome("/home/user/.config/candor");
            var store = new SettingsStore(home, files, time);
            foreach (var c in changes)
            {
                // Every change comes later than the one before, as edits by hand do outside the file system's
                // time resolution (the documented exception).
                time.Advance(TimeSpan.FromMilliseconds(5));
                Apply(c, home, files, store);

                var saysOff = SettingsOffMarker.SaysOff(home, files);
                var snapshot = store.Read();
                if (saysOff)
                {
                    Assert.All(Manifests, m => Assert.Equal(TelemetryLevel.Off, Resolve(m, snapshot).Level));
                }

                if (c.Kind == Kind.Store)
                {
                    var everyOff = store.ReadFile().Value is { } document && SettingsOffMarker.TurnsEveryProductOff(document);
                    Assert.Equal(everyOff, saysOff);
                }
            }
        });
    }

    [Fact]
    public void OnDisk_TheStoreTurningEverythingOff_WritesTheMarker_AndAHandEditAfterItMakesItStale()
    {
        var home = new CandorHome(_temp.Combine("home"));
        var store = new SettingsStore(home, PhysicalFileSystem.Instance);

        store.Update(d =>
        {
            d.Level = "off";
            d.Products["alpha"] = new ProductSettings { Seen = DateTimeOffset.UnixEpoch };
            return true;
        });
        Assert.True(SettingsOffMarker.SaysOff(home, PhysicalFileSystem.Instance));

        // The user turns telemetry on by hand, later than the store's write.
        File.WriteAllText(home.SettingsFile, """{ "version": 1, "level": "all" }""");
        File.SetLastWriteTimeUtc(home.SettingsFile, File.GetLastWriteTimeUtc(home.SettingsOffFile).AddSeconds(1));
        Assert.False(SettingsOffMarker.SaysOff(home, PhysicalFileSystem.Instance));

        // A change through the store that leaves a product on removes the stale marker.
        store.Update(d =>
        {
            d.Products["alpha"] = new ProductSettings { Level = "off" };
            return true;
        });
        Assert.False(File.Exists(home.SettingsOffFile));
    }

    [Fact]
    public void OnDisk_AMarkerWithoutSettings_OrAFolderInItsPlace_SaysNothing()
    {
        var home = new CandorHome(_temp.Combine("home"));
        Directory.CreateDirectory(home.Root);
        File.WriteAllBytes(home.SettingsOffFile, []);

        // The user removed settings.json to start again: no choices, so the product's default.
        Assert.False(SettingsOffMarker.SaysOff(home, PhysicalFileSystem.Instance));

        File.Delete(home.SettingsOffFile);
        Directory.CreateDirectory(home.SettingsOffFile);
        File.WriteAllText(home.SettingsFile, """{ "version": 1, "level": "off" }""");
        Assert.False(SettingsOffMarker.SaysOff(home, PhysicalFileSystem.Instance));
    }

    [Fact]
    public void OnDisk_AMarkerThatCannotBeRemoved_FailsTheChange_AndOneThatCannotBeWritten_IsOnlyLeftOut()
    {
        var home = new CandorHome(_temp.Combine("home"));
        var files = new Delivery.FaultyFileSystem();
        var store = new SettingsStore(home, files);
        store.Update(d =>
        {
            d.Level = "off";
            return true;
        });

        // Turning a product on must not leave a marker that says off beside it: the change fails, the settings stay.
        files.Fault = (operation, path) => operation == "DeleteFile" && path == home.SettingsOffFile ? new IOException("read-only") : null;
        Assert.Throws<IOException>(() => store.Update(d =>
        {
            d.Level = "all";
            return true;
        }));
        Assert.Equal("off", store.Read().MachineLevel);
        Assert.True(SettingsOffMarker.SaysOff(home, files));

        // Turning everything off without room for the marker keeps the choice; runs then read the settings.
        files.Fault = (_, _) => null;
        store.Update(d =>
        {
            d.Level = "all";
            return true;
        });
        files.Fault = (operation, path) => operation == "WriteAtomic" && path == home.SettingsOffFile ? Delivery.FaultyFileSystem.DiskFull() : null;
        store.Update(d =>
        {
            d.Level = "off";
            return true;
        });
        Assert.Equal("off", store.Read().MachineLevel);
        Assert.False(SettingsOffMarker.SaysOff(home, files));
    }

    private static void Apply(Change change, CandorHome home, MemoryFileSystem files, SettingsStore store)
    {
        var level = Levels[change.Level];
        switch (change.Kind)
        {
            case Kind.Store:
                store.Update(d =>
                {
                    if (change.Product == Products.Length)
                    {
                        d.Level = level;
                    }
                    else
                    {
                        d.Products[Products[change.Product]] = new ProductSettings { Level = level };
                    }

                    return true;
                });
                break;
            case Kind.HandEdit:
                // The file as the store would write it, changed in one place.
                var document = store.ReadFile().Value ?? new SettingsDocument();
                if (change.Product == Products.Length)
                {
                    document.Level = level;
                }
                else
                {
                    document.Products[Products[change.Product]] = new ProductSettings { Level = level };
                }

                files.CreatePrivateDirectory(home.Root);
                files.WriteAtomic(home.SettingsFile, SettingsJson.Write(document), durable: false);
                break;
            case Kind.Delete:
                files.CreatePrivateDirectory(home.Root);
                files.DeleteFile(home.SettingsFile);
                break;
            case Kind.Garbage:
                files.CreatePrivateDirectory(home.Root);
                files.WriteAtomic(home.SettingsFile, Encoding.UTF8.GetBytes("{ \"level\": "), durable: false);
                break;
        }
    }

    private static ConsentDecision Resolve(TelemetryManifest manifest, SettingsSnapshot settings) =>
        ConsentResolver.Resolve(new ConsentInputs
        {
            Manifest = manifest,
            Environment = new DictionaryEnvironment(new Dictionary<string, string>()),
            Settings = settings,
        });

    private enum Kind
    {
        Store,
        HandEdit,
        Delete,
        Garbage,
    }

    private sealed record Change(Kind Kind, int Product, int Level);
}
