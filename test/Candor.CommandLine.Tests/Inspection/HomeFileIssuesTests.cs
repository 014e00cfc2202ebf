using Candor.Catalog;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Tests.Support;
using Candor.Delivery;
using Candor.Identity;
using Candor.Manifest;
using Candor.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Candor.CommandLine.Tests.Inspection;

/// <summary>What <c>candor status</c> says about the home's files that Candor set aside or cannot use.</summary>
public sealed class HomeFileIssuesTests : IDisposable
{
    private readonly TempHome _temp = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 6, 10, 12, 0, 0, TimeSpan.Zero));
    private readonly TelemetryManifest _manifest = TelemetryManifest.Parse(TestTool.ManifestJson);

    public void Dispose() => _temp.Dispose();

    private CandorHome Home => _temp.Home;

    private CandorMachine Machine() =>
        new(new FakeEnvironment().With("CANDOR_HOME", Home.Root), PhysicalFileSystem.Instance, _clock, Path.Combine(_temp.Root, "policy.json"));

    [Fact]
    public void FileIssues_AHealthyHome_IsEmpty()
    {
        new IdentityStore(Home, PhysicalFileSystem.Instance, _clock).RecordDisclosure("tool", 1);
        new ProductRecordStore(Home, PhysicalFileSystem.Instance).Record(_manifest, "1.0.0", null, null);

        Assert.Empty(Machine().FileIssues(["tool"]));
    }

    [Fact]
    public void FileIssues_BrokenFilesInPlace_AreNamedWithWhatIsWrongAndNothingIsMoved()
    {
        Directory.CreateDirectory(Home.ProductDirectory("tool"));
        File.WriteAllBytes(Home.SettingsFile, [.. "{\"level\": \""u8, 0xFF, .. "\"}"u8]);
        File.WriteAllText(Home.IdentityFile("tool"), """{"install": "6f96""");
        Directory.CreateDirectory(Home.UploadLock);
        File.WriteAllText(Home.SpoolDirectory("tool"), "not a folder");

        var issues = Machine().FileIssues(["tool"]);

        Assert.Equal(
            [
                ("settings.json", "is not UTF-8 text"),
                ("upload.lock", "is a folder, not a file"),
                ("products/tool/identity.json", "is not the JSON Candor writes there"),
                ("products/tool/spool", "is a file, not a folder"),
            ],
            issues.Select(i => (i.File, Cut(i.Problem))));
        Assert.All(issues, i => Assert.False(i.SetAside));
        Assert.True(Directory.Exists(Home.UploadLock));
    }

    [Fact]
    public void FileIssues_SetAsideCopies_AreNamedWithWhatTheyWereWhenAndWhy()
    {
        Directory.CreateDirectory(Home.Root);
        File.WriteAllText(Home.SettingsFile, """{"level": "of""");
        var aside = PhysicalFileSystem.Instance.SetAside(Home.SettingsFile)!;
        Directory.CreateDirectory(Home.UploadLock);
        var lockAside = PhysicalFileSystem.Instance.SetAside(Home.UploadLock)!;

        var issues = Machine().FileIssues([]);

        Assert.Equal(
            [("settings.json", aside, "is not the JSON Candor writes there"), ("upload.lock", lockAside, "is a folder, not a file")],
            issues.Select(i => (i.File, i.Path, Cut(i.Problem))));
        Assert.All(issues, i => Assert.True(i.SetAside));
        Assert.All(issues, i => Assert.NotNull(i.At));
    }

    [Fact]
    public async Task FileIssues_NamedPipeInTheSpool_IsNamedWithoutWaiting_ThenAsSetAsideOnceAnUploadMovedIt()
    {
        var spool = new Spool(Home, "tool", PhysicalFileSystem.Instance, _clock, new DeliveryOptions(), new DeliveryCounters());
        spool.TryWrite(Guid.NewGuid(), """{"id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}"""u8);
        var pipe = Path.Combine(Home.SpoolDirectory("tool"), Spool.FileName(_clock.GetUtcNow(), Guid.NewGuid()));
        Fifo.Make(pipe);

        // Bounded: a read that waits on the pipe fails the test with a TimeoutException instead of hanging it.
        var before = await Task.Run(() => Machine().FileIssues(["tool"])).WaitAsync(TimeSpan.FromSeconds(30));
        spool.ReadBatch(10, 1024 * 1024, new HashSet<string>());
        var after = Machine().FileIssues(["tool"]);

        var inPlace = Assert.Single(before);
        Assert.Equal(("products/tool/spool/" + Path.GetFileName(pipe), false), (inPlace.File, inPlace.SetAside));
        Assert.Contains("named pipe", inPlace.Problem, StringComparison.Ordinal);
        var setAside = Assert.Single(after);
        Assert.Equal(Path.Combine(Home.CorruptDirectory("tool"), Path.GetFileName(pipe)), setAside.Path);
        Assert.True(setAside.SetAside);
        Assert.Single(Machine().Pending("tool"));
    }

    [Fact]
    public void SentAndLocal_LogWithInvalidUtf8_AreEmptyAndTheLogIsNamed()
    {
        Directory.CreateDirectory(Home.ProductDirectory("tool"));
        File.WriteAllBytes(Home.SentLog("tool"), [.. """{"acknowledged":"2025-06-01T10:00:00+00:00","event":{"id":"6f9619ff-8b86-d011-b42d-00c04fc964ff","name":"a"""u8, 0xFF, .. "\"}}\n"u8]);

        var machine = Machine();

        Assert.Empty(machine.Sent("tool"));
        Assert.Equal("products/tool/sent.jsonl", Assert.Single(machine.FileIssues(["tool"])).File);
    }

    // The reader's own words after the first parenthesis vary; what is wrong does not.
    private static string Cut(string problem)
    {
        var open = problem.IndexOf(" (", StringComparison.Ordinal);
        return open < 0 ? problem : problem[..open];
    }
}
