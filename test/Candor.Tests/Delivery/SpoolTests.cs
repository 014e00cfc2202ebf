using System.Text;
using Candor.Delivery;
using Candor.Protocol;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Delivery;

public class SpoolTests
{
    [Fact]
    public void TryWrite_Event_IsOneFileNamedByTimeThenIdHoldingTheExactBytes()
    {
        using var rig = new DeliveryRig();
        var id = Guid.NewGuid();
        var json = DeliveryRig.WireJson(id, DeliveryRig.Product, rig.Time.GetUtcNow());

        Assert.True(rig.Spool().TryWrite(id, json));

        var file = Assert.Single(rig.SpoolFiles());
        Assert.Equal($"{rig.Time.GetUtcNow().UtcTicks:D19}-{id:N}.json", Path.GetFileName(file));
        Assert.Equal(json, File.ReadAllBytes(file));
    }

    [Fact]
    public void TryWrite_Event_IsNotFlushedToTheDisk()
    {
        // The tool waits for this write at exit; a flush would cost it a disk round trip on every run.
        var files = new RecordingFileSystem();
        using var rig = new DeliveryRig(files);
        var id = Guid.NewGuid();

        Assert.True(rig.Spool().TryWrite(id, DeliveryRig.WireJson(id, DeliveryRig.Product, rig.Time.GetUtcNow())));

        var file = Assert.Single(rig.SpoolFiles());
        Assert.Equal(["write-unflushed " + file], files.Changes.Where(c => c.StartsWith("write", StringComparison.Ordinal)));
    }

    [Fact]
    public void TryWrite_SeveralEvents_SortByTimeWhateverTheirIds()
    {
        using var rig = new DeliveryRig();

        var ids = rig.Track(20);

        Assert.Equal(ids, rig.Spool().ListPending().Select(e => e.Id));
    }

    [Fact]
    public void TryWrite_BeforeTheSpoolWasMeasured_ListsNoFolder()
    {
        // A short run writes its events and exits: listing the spool would cost it milliseconds at exit.
        var files = new RecordingFileSystem();
        using var rig = new DeliveryRig(files, new DeliveryOptions { MaxSpoolFiles = 1 });
        var spool = rig.Spool();
        for (var i = 0; i < 3; i++)
        {
            var id = Guid.NewGuid();
            Assert.True(spool.TryWrite(id, DeliveryRig.WireJson(id, DeliveryRig.Product, rig.Time.GetUtcNow())));
        }

        Assert.Equal(0, files.Listings);
        Assert.Equal(3, rig.SpoolFiles().Length);
    }

    [Fact]
    public void Trim_DeliveriesSucceeding_KeepsUpToFourTimesTheBounds()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolFiles = 2 });
        var ids = rig.Track(9);
        var spool = new Spool(rig.Home, DeliveryRig.Product, rig.Files, rig.Time, rig.Options, rig.Counters, deliveryFailing: () => false);

        spool.Trim();

        // Events waiting for an uploader that is keeping up are not lost; past four times the bound, the oldest go.
        Assert.Equal(ids[1..], spool.ListPending().Select(e => e.Id));
        Assert.Equal(1, rig.Counters.Dropped(DropReasons.SpoolFiles));
    }

    [Fact]
    public void Trim_DeliveriesFailing_KeepsTheBounds()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolFiles = 2 });
        var ids = rig.Track(5);
        var spool = new Spool(rig.Home, DeliveryRig.Product, rig.Files, rig.Time, rig.Options, rig.Counters, deliveryFailing: () => true);

        spool.Trim();

        Assert.Equal(ids[3..], spool.ListPending().Select(e => e.Id));
        Assert.Equal(3, rig.Counters.Dropped(DropReasons.SpoolFiles));
    }

    [Fact]
    public void Trim_FilesThatCannotPassTheByteBoundTogether_AreNotMeasured_MoreAre()
    {
        // Every run that finds the uploader backing off trims: a stat a file for as long as an outage lasts, unless
        // the files left could not pass the byte bound even at the largest event each.
        var files = new RecordingFileSystem();
        using var few = new DeliveryRig(files);
        few.Track(5);
        new Spool(few.Home, DeliveryRig.Product, few.Files, few.Time, few.Options, few.Counters, deliveryFailing: () => true).Trim();

        Assert.Equal(0, files.Measured);
        Assert.Equal(5, few.SpoolFiles().Length);

        var measured = new RecordingFileSystem();
        using var many = new DeliveryRig(measured, new DeliveryOptions { MaxSpoolBytes = 2 * ProtocolConstants.MaxEventBytes });
        many.Track(5);
        new Spool(many.Home, DeliveryRig.Product, many.Files, many.Time, many.Options, many.Counters, deliveryFailing: () => true).Trim();

        Assert.Equal(5, measured.Measured);
        Assert.Equal(5, many.SpoolFiles().Length);
    }

    [Fact]
    public void TrimIfDue_TrimsOnce_ThenNotUntilTheIntervalHasPassed()
    {
        // A run that finds the uploader backing off trims; the runs after it within the interval leave the spool as
        // it is, and one after the interval trims again.
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolFiles = 2 });
        var files = new MemoryFileSystem(rig.Time);

        // Each run is a process of its own, with a spool that has not measured anything yet.
        Spool Run(int events)
        {
            var spool = new Spool(rig.Home, DeliveryRig.Product, files, rig.Time, rig.Options, rig.Counters, deliveryFailing: () => true);
            for (var i = 0; i < events; i++)
            {
                var id = Guid.NewGuid();
                Assert.True(spool.TryWrite(id, DeliveryRig.WireJson(id, DeliveryRig.Product, rig.Time.GetUtcNow())));
                rig.Time.Advance(TimeSpan.FromMilliseconds(1));
            }

            spool.TrimIfDue();
            return spool;
        }

        Assert.Equal(2, Run(5).ListPending().Count);

        rig.Time.Advance(Spool.TrimInterval - TimeSpan.FromSeconds(1));
        Assert.Equal(5, Run(3).ListPending().Count);

        rig.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, Run(0).ListPending().Count);
        Assert.Equal(6, rig.Counters.Dropped(DropReasons.SpoolFiles));
    }

    [Fact]
    public void TryWrite_AfterAMeasurement_TrimsWhenABoundIsPassed()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolFiles = 2 });
        rig.Track(2);
        var spool = rig.Spool();
        spool.Trim();

        var id = Guid.NewGuid();
        Assert.True(spool.TryWrite(id, DeliveryRig.WireJson(id, DeliveryRig.Product, rig.Time.GetUtcNow())));

        Assert.Equal(2, rig.SpoolFiles().Length);
        Assert.Equal(1, rig.Counters.Dropped(DropReasons.SpoolFiles));
    }

    [Fact]
    public void TryWrite_DiskFull_DropsAndCountsWithoutThrowing()
    {
        var files = new FaultyFileSystem();
        using var rig = new DeliveryRig(files);
        files.Fault = (operation, _) => operation == "WriteAtomic" ? FaultyFileSystem.DiskFull() : null;

        var written = rig.Spool().TryWrite(Guid.NewGuid(), DeliveryRig.WireJson(Guid.NewGuid(), "sample", rig.Time.GetUtcNow()));

        Assert.False(written);
        Assert.Equal(1, rig.Counters.Dropped(DropReasons.DiskFull));
        Assert.Empty(rig.SpoolFiles());
    }

    [Fact]
    public void TryWrite_SpoolFolderReadOnly_DropsAndCountsWithoutThrowing()
    {
        var files = new FaultyFileSystem();
        using var rig = new DeliveryRig(files);
        files.Fault = (operation, path) => operation == "WriteAtomic" && path.StartsWith(rig.Home.SpoolDirectory("sample"), StringComparison.Ordinal)
            ? new UnauthorizedAccessException("Access to the path is denied.")
            : null;

        Assert.False(rig.Spool().TryWrite(Guid.NewGuid(), "{}"u8));

        Assert.Equal(1, rig.Counters.Dropped(DropReasons.WriteFailed));
    }

    [Theory]
    [InlineData("file")] // the home's parent is a regular file: nothing below it can be created, not even by root
    [InlineData("proc")] // /proc refuses new folders to everyone
    public void TryWrite_HomeNotWritable_DropsAndCountsWithoutThrowing(string where)
    {
        using var rig = new DeliveryRig();
        if (where == "file")
        {
            var blocker = Path.Combine(rig.Root, "blocker");
            File.WriteAllText(blocker, "not a folder");
            rig.Home = new Candor.Storage.CandorHome(Path.Combine(blocker, "home"));
        }
        else
        {
            rig.Home = new Candor.Storage.CandorHome("/proc/candor-" + Guid.NewGuid().ToString("N"));
        }

        Assert.False(rig.Spool().TryWrite(Guid.NewGuid(), DeliveryRig.WireJson(Guid.NewGuid(), "sample", rig.Time.GetUtcNow())));

        Assert.Equal(1, rig.Counters.Dropped(DropReasons.WriteFailed));
    }

    [Fact]
    public void TryWrite_LargerThanProtocolAllows_DropsAndCounts()
    {
        using var rig = new DeliveryRig();

        Assert.False(rig.Spool().TryWrite(Guid.NewGuid(), new byte[ProtocolConstants.MaxEventBytes + 1]));

        Assert.Equal(1, rig.Counters.Dropped(DropReasons.TooLarge));
        Assert.Empty(rig.SpoolFiles());
    }

    [Fact]
    public void Trim_PastFileBound_DropsOldestAndCounts()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolFiles = 3 });
        var ids = rig.Track(5);

        rig.Spool().Trim();

        Assert.Equal(ids[2..], rig.Spool().ListPending().Select(e => e.Id));
        Assert.Equal(2, rig.Counters.Dropped(DropReasons.SpoolFiles));
    }

    [Fact]
    public void Trim_PastByteBound_DropsOldestAndCounts()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolBytes = 32 * 1000 });
        var spool = rig.Spool();
        var ids = new Guid[34];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = Guid.NewGuid();
            var json = $$"""{"id":"{{ids[i]}}","pad":"{{new string('x', 1000 - 54)}}"}""";
            Assert.Equal(1000, json.Length);
            Assert.True(spool.TryWrite(ids[i], Encoding.UTF8.GetBytes(json)));
            rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        spool.Trim();

        Assert.Equal(ids[2..], rig.Spool().ListPending().Select(e => e.Id));
        Assert.Equal(2, rig.Counters.Dropped(DropReasons.SpoolBytes));
    }

    [Fact]
    public void Trim_EventsPastMaxAge_DropsThemAndCounts()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolAge = TimeSpan.FromDays(7) });
        rig.Track(2);
        rig.Time.Advance(TimeSpan.FromDays(6));
        var recent = rig.Track(1);
        rig.Time.Advance(TimeSpan.FromDays(2));

        rig.Spool().Trim();

        Assert.Equal(recent, rig.Spool().ListPending().Select(e => e.Id));
        Assert.Equal(2, rig.Counters.Dropped(DropReasons.SpoolAge));
    }

    [Theory]
    [InlineData("-000000000000000001")]
    [InlineData("+000000000000000001")]
    [InlineData("0000000000000000x01")]
    public void Trim_FileWhoseNameIsNotASpoolTime_IsAgedByItsWriteTime(string prefix)
    {
        // Read as a time, each of these names would be year 1 (or fail) and the file would be dropped as too old.
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSpoolAge = TimeSpan.FromDays(7) });
        rig.Track(1);
        var path = Path.Combine(rig.Home.SpoolDirectory("sample"), $"{prefix}-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{}");
        File.SetLastWriteTimeUtc(path, rig.Time.GetUtcNow().UtcDateTime.AddMinutes(-1));

        rig.Spool().Trim();

        Assert.True(File.Exists(path));
        Assert.Equal(0, rig.Counters.Dropped(DropReasons.SpoolAge));
    }

    [Fact]
    public void Trim_TemporaryFileAbandonedByAKilledWriter_IsRemoved()
    {
        using var rig = new DeliveryRig();
        rig.Track(1);
        var temp = Path.Combine(rig.Home.SpoolDirectory("sample"), "x.json.abc.tmp");
        var fresh = Path.Combine(rig.Home.SpoolDirectory("sample"), "y.json.def.tmp");
        File.WriteAllText(temp, "{\"id\":");
        File.WriteAllText(fresh, "{\"id\":");
        File.SetLastWriteTimeUtc(temp, rig.Time.GetUtcNow().UtcDateTime.AddHours(-2));
        File.SetLastWriteTimeUtc(fresh, rig.Time.GetUtcNow().UtcDateTime.AddMinutes(-1));

        rig.Spool().Trim();

        Assert.False(File.Exists(temp));
        Assert.True(File.Exists(fresh));
        Assert.Single(rig.SpoolFiles());
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not-json")]
    [InlineData("array")]
    [InlineData("no-id")]
    [InlineData("empty")]
    [InlineData("bom")]
    public void ReadBatch_CorruptFile_IsSetAsideCountedAndNeverReadAgain(string kind)
    {
        using var rig = new DeliveryRig();
        var good = rig.Track(2);
        var whole = Encoding.UTF8.GetString(DeliveryRig.WireJson(Guid.NewGuid(), "sample", rig.Time.GetUtcNow()));
        var content = kind switch
        {
            "truncated" => Encoding.UTF8.GetBytes(whole[..(whole.Length / 2)]),
            "not-json" => "garbage\0\u0001"u8.ToArray(),
            "array" => "[1,2,3]"u8.ToArray(),
            "no-id" => """{"name":"install"}"""u8.ToArray(),
            "empty" => [],
            _ => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(whole)],
        };
        var corrupt = Path.Combine(rig.Home.SpoolDirectory("sample"), Spool.FileName(rig.Time.GetUtcNow().AddDays(-1), Guid.NewGuid()));
        File.WriteAllBytes(corrupt, content);

        var batch = rig.Spool().ReadBatch(100, ProtocolConstants.MaxDecompressedBytes, new HashSet<string>());
        var again = rig.Spool().ReadBatch(100, ProtocolConstants.MaxDecompressedBytes, new HashSet<string>());

        Assert.Equal(good, batch.Select(e => e.Id));
        Assert.Equal(good, again.Select(e => e.Id));
        Assert.False(File.Exists(corrupt));
        Assert.True(File.Exists(Path.Combine(rig.Home.CorruptDirectory("sample"), Path.GetFileName(corrupt))));
        Assert.Equal(1, rig.Counters.Dropped(DropReasons.Corrupt));
    }

    [Fact]
    public void ReadBatch_ManyCorruptFiles_KeepsOnlyTheNewestAside()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxCorruptFiles = 2 });
        var names = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var name = Spool.FileName(rig.Time.GetUtcNow().AddMinutes(i), Guid.NewGuid());
            names.Add(name);
            Directory.CreateDirectory(rig.Home.SpoolDirectory("sample"));
            File.WriteAllText(Path.Combine(rig.Home.SpoolDirectory("sample"), name), "{");
        }

        rig.Spool().ReadBatch(100, ProtocolConstants.MaxDecompressedBytes, new HashSet<string>());

        var aside = Directory.GetFiles(rig.Home.CorruptDirectory("sample")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(names[2..], aside);
        Assert.Equal(4, rig.Counters.Dropped(DropReasons.Corrupt));
        Assert.Empty(rig.SpoolFiles());
    }

    [Fact]
    public void ReadBatch_LimitsCountAndBodySize()
    {
        using var rig = new DeliveryRig();
        var ids = rig.Track(10);
        var threeEvents = rig.Spool().ListPending().Take(3).Sum(e => e.Json.Length) + 2;

        var byCount = rig.Spool().ReadBatch(4, ProtocolConstants.MaxDecompressedBytes, new HashSet<string>());
        var bySize = rig.Spool().ReadBatch(100, BatchBody.EnvelopeBytes + threeEvents, new HashSet<string>());

        Assert.Equal(ids[..4], byCount.Select(e => e.Id));
        Assert.Equal(ids[..3], bySize.Select(e => e.Id));
    }

    [Fact]
    public void ListPending_CorruptFile_IsSkippedButLeftInPlace()
    {
        using var rig = new DeliveryRig();
        var ids = rig.Track(2);
        var corrupt = Path.Combine(rig.Home.SpoolDirectory("sample"), "0000000000000000001-x.json");
        File.WriteAllText(corrupt, "{\"id\":");

        var pending = rig.Spool().ListPending();

        Assert.Equal(ids, pending.Select(e => e.Id));
        Assert.True(File.Exists(corrupt));
        Assert.Equal(0, rig.Counters.Dropped(DropReasons.Corrupt));
    }

    [Fact]
    public void ListPending_NoSpoolFolder_IsEmpty()
    {
        using var rig = new DeliveryRig();

        Assert.Empty(rig.Spool().ListPending());
        Assert.False(rig.Spool().HasPending());
    }
}
