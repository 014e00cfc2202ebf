using System.Text;
using Candor.Consent;
using Candor.Storage;
using Candor.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Consent;

public sealed class SettingsStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;

    public SettingsStoreTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Read_NoFile_IsNoChoicesAndWritesNothing()
    {
        var files = new RecordingFileSystem();

        var snapshot = new SettingsStore(_home, files).Read();

        Assert.Null(snapshot.MachineLevel);
        Assert.Empty(snapshot.Products);
        Assert.Empty(files.Changes);
        Assert.False(Directory.Exists(_home.Root));
    }

    [Fact]
    public void Update_ThenRead_SeesTheChange()
    {
        var store = new SettingsStore(_home, PhysicalFileSystem.Instance);

        store.Update(d =>
        {
            d.Level = "local";
            d.Products["kmpkg"] = new ProductSettings { Level = "off" };
            return true;
        });

        var snapshot = store.Read();
        Assert.Equal("local", snapshot.MachineLevel);
        Assert.Equal("off", snapshot.ProductLevel("kmpkg"));
        Assert.Equal(["kmpkg"], snapshot.Products);
    }

    [Theory]
    [InlineData("{\"level\": \"off\", \"products\": {")]
    [InlineData("{\"lev")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[1, 2]")]
    [InlineData("{\"products\": 42}")]
    public void Read_CorruptOrTruncatedFile_IsNoChoicesAndNeverThrows(string contents)
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, contents);

        var snapshot = new SettingsStore(_home, PhysicalFileSystem.Instance).Read();

        Assert.Null(snapshot.MachineLevel);
        Assert.Empty(snapshot.Products);
        Assert.Equal(contents == "null", snapshot.Problem is null);
    }

    [Fact]
    public void Update_CorruptFile_SetsItAsideAndStartsFromMachineWideOff()
    {
        // The truncated file may have held opt-outs for other products: a change to one product must not turn them on.
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, "{\"level\": \"off\", \"prod");
        var store = new SettingsStore(_home, PhysicalFileSystem.Instance);

        store.Update(d =>
        {
            d.Products["kmpkg"] = new ProductSettings { Level = "all" };
            return true;
        });

        Assert.Equal("all", store.Read().ProductLevel("kmpkg"));
        Assert.Equal("off", store.Read().MachineLevel);
        Assert.Contains("\"kmpkg\"", File.ReadAllText(_home.SettingsFile));
        var copy = Assert.Single(Directory.GetFiles(_home.Root, "settings.json.corrupt-*"));
        Assert.Equal("{\"level\": \"off\", \"prod", File.ReadAllText(copy));
    }

    [Fact]
    public void Update_CorruptFileAndNoChange_StillRepairsIt()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, "{{{");
        var store = new SettingsStore(_home, PhysicalFileSystem.Instance);

        store.Update(_ => false);

        var text = File.ReadAllText(_home.SettingsFile);
        Assert.Contains("\"version\": 1", text);
    }

    [Fact]
    public void Update_NoChange_DoesNotRewriteTheFile()
    {
        var files = new RecordingFileSystem();
        var store = new SettingsStore(_home, files);
        store.Update(d =>
        {
            d.Level = "all";
            return true;
        });
        var writes = files.Changes.Count(c => c.StartsWith("write ", StringComparison.Ordinal));

        store.Update(_ => false);

        Assert.Equal(writes, files.Changes.Count(c => c.StartsWith("write ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Update_FileWrittenByANewerVersion_KeepsWhatItDoesNotKnow()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, """
            {
              // written by hand, with a comment and a trailing comma
              "version": 1,
              "future": { "a": 1 },
              "products": { "kmpkg": { "level": "off", "note": "kept" }, },
            }
            """);
        var store = new SettingsStore(_home, PhysicalFileSystem.Instance);

        store.Update(d =>
        {
            d.Level = "errors";
            return true;
        });

        var text = File.ReadAllText(_home.SettingsFile);
        Assert.Contains("\"future\"", text);
        Assert.Contains("\"note\": \"kept\"", text);
        Assert.Equal("off", store.Read().ProductLevel("kmpkg"));
        Assert.Equal("errors", store.Read().MachineLevel);
    }

    [Fact]
    public void Update_ManyConcurrentWritersThroughSeparateStores_LoseNoUpdate()
    {
        const int Writers = 8;
        const int UpdatesEach = 10;

        Parallel.For(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, writer =>
        {
            for (var i = 0; i < UpdatesEach; i++)
            {
                // A new store each time, as separate processes would have.
                var store = new SettingsStore(_home, PhysicalFileSystem.Instance, lockRetryDelay: TimeSpan.FromMilliseconds(1));
                store.Update(d =>
                {
                    d.Products[$"p{writer}-{i}"] = new ProductSettings { Level = i % 2 == 0 ? "off" : "all" };
                    return true;
                });
            }
        });

        var snapshot = new SettingsStore(_home, PhysicalFileSystem.Instance).Read();
        Assert.Equal(Writers * UpdatesEach, snapshot.Products.Count);
        Assert.Equal("all", snapshot.ProductLevel("p3-7"));
        Assert.Empty(Directory.GetFiles(_home.Root, "*.tmp"));
    }

    [Fact]
    public void Update_LockHeldByAnotherProcess_GivesUpWithIOException()
    {
        var files = new RecordingFileSystem { LockHeldElsewhere = true };
        var store = new SettingsStore(_home, files, lockAttempts: 3, lockRetryDelay: TimeSpan.Zero);

        var ex = Assert.Throws<IOException>(() => store.Update(d =>
        {
            d.Level = "off";
            return true;
        }));

        Assert.Contains("settings.lock", ex.Message);
        Assert.Equal(3, files.Changes.Count(c => c.StartsWith("lock ", StringComparison.Ordinal)));
        Assert.False(File.Exists(_home.SettingsFile));
    }

    [Fact]
    public void Update_LockReleased_NextChangeTakesIt()
    {
        var store = new SettingsStore(_home, PhysicalFileSystem.Instance, lockAttempts: 1);
        Directory.CreateDirectory(_home.Root);
        using (PhysicalFileSystem.Instance.TryLock(_home.SettingsLock))
        {
            Assert.Throws<IOException>(() => store.Update(_ => true));
        }

        store.Update(d =>
        {
            d.Level = "local";
            return true;
        });

        Assert.Equal("local", store.Read().MachineLevel);
    }

    [Fact]
    public void Read_FileSavedWithByteOrderMark_IsRead()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, """{"level": "off"}""", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        Assert.Equal("off", new SettingsStore(_home, PhysicalFileSystem.Instance).Read().MachineLevel);
    }

    [Fact]
    public void Read_UnreadableFile_IsNoChoicesAndSaysWhy()
    {
        var files = new RecordingFileSystem { FailReads = _ => new UnauthorizedAccessException("denied") };

        var snapshot = new SettingsStore(_home, files).Read();

        Assert.Null(snapshot.MachineLevel);
        Assert.Equal("settings.json cannot be read (denied)", snapshot.Problem);
    }

    [Fact]
    public void MarkSeen_FirstTime_RecordsTheDate_LaterRunsWriteNothing()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var files = new RecordingFileSystem();
        var store = new SettingsStore(_home, files, clock);

        store.MarkSeen("kmpkg");
        var changesAfterFirst = files.Changes.Count;
        clock.Advance(TimeSpan.FromDays(1));
        store.MarkSeen("kmpkg");

        Assert.True(store.Read().IsSeen("kmpkg"));
        Assert.Equal(changesAfterFirst, files.Changes.Count);
        Assert.Contains("2025-03-01T12:00:00", File.ReadAllText(_home.SettingsFile));
    }

    [Fact]
    public void MarkSeen_ProductWithAChoice_KeepsTheChoice()
    {
        var store = new SettingsStore(_home, PhysicalFileSystem.Instance);
        store.Update(d =>
        {
            d.Products["kmpkg"] = new ProductSettings { Level = "local" };
            return true;
        });

        store.MarkSeen("kmpkg");

        Assert.Equal("local", store.Read().ProductLevel("kmpkg"));
        Assert.True(store.Read().IsSeen("kmpkg"));
    }

    [Fact]
    public void Read_ProductIdThatIsNotValid_IsNotListed()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, """{"products": {"../etc": {"level": "all"}, "ok": {"level": "off"}, "nulled": null}}""");

        var snapshot = new SettingsStore(_home, PhysicalFileSystem.Instance).Read();

        Assert.Equal(["ok"], snapshot.Products);
    }
}
