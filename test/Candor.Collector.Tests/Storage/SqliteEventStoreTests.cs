using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Candor.Collector.Tests.Storage;

public class SqliteEventStoreTests(ITestOutputHelper output) : EventStoreContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("candor-store-").FullName;

    private StorageOptions Options => new() { DataPath = _folder, FlushEachCommit = false };

    private StorageOptions Flushed => new() { DataPath = Path.Combine(_folder, "flushed"), FlushEachCommit = true };

    [Fact]
    public async Task Reopen_KeepsEverythingCommitted()
    {
        await Store.AppendAsync([Incoming(Some.Install()), Incoming(Some.Install())], default);
        await Store.DisposeAsync();

        await using var reopened = new SqliteEventStore(Options);
        await reopened.InitializeAsync(default);

        Assert.Equal(2, await reopened.CountRawEventsAsync(Some.Product, default));
    }

    [Fact]
    public async Task Append_IsNotAcknowledgedBeforeTheLogIsOnTheDisk()
    {
        using var diskSlow = new ManualResetEventSlim(initialState: true);
        await using var store = await OpenFlushedAsync(wal =>
        {
            diskSlow.Wait();
            wal.Flush(flushToDisk: true);
        });
        diskSlow.Reset();
        var commits = store.Commits;
        try
        {
            var appending = store.AppendAsync([Incoming(Some.Install())], default);
            await TestCollector.EventuallyAsync(() => Task.FromResult(store.Commits == commits + 1), "the events to be committed");

            Assert.False(appending.IsCompleted);
            diskSlow.Set();
            Assert.Equal([AppendOutcome.Stored], await appending);
        }
        finally
        {
            diskSlow.Set();
        }
    }

    [Fact]
    public async Task Append_CallersQueuedTogether_ShareOneCommit_AndEachGetsItsOwnOutcomes()
    {
        await using var store = await OpenFlushedAsync();
        var known = Incoming(Some.Install());
        await store.AppendAsync([known], default);
        var (a, b) = (Incoming(Some.Install()), Incoming(Some.Install()));

        var (plug, first, second, commits) = await QueueBehindALockAsync(store, Flushed.DatabasePath, [[Incoming(Some.Install())], [a, known], [b]]);

        Assert.Equal([AppendOutcome.Stored], await plug);
        Assert.Equal([AppendOutcome.Stored, AppendOutcome.Duplicate], await first);
        Assert.Equal([AppendOutcome.Stored], await second);
        // The plug may have reached the writer before the others queued or not; the two queued together share one either way.
        Assert.InRange(store.Commits - commits, 1, 2);
        Assert.Equal(4, await store.CountRawEventsAsync(Some.Product, default));
    }

    [Fact]
    public async Task Append_FlushFails_FailsEveryCallerOfTheGroup_AndTheirRetryFindsTheEventsStored()
    {
        var diskFails = false;
        await using var store = await OpenFlushedAsync(wal =>
        {
            if (Volatile.Read(ref diskFails))
            {
                throw new IOException("the disk went away");
            }

            wal.Flush(flushToDisk: true);
        });
        Volatile.Write(ref diskFails, true);
        var (a, b, c) = (Incoming(Some.Install()), Incoming(Some.Install()), Incoming(Some.Install()));

        var (plug, first, second, _) = await QueueBehindALockAsync(store, Flushed.DatabasePath, [[Incoming(Some.Install())], [a, b], [c]]);

        await Assert.ThrowsAsync<IOException>(() => plug);
        await Assert.ThrowsAsync<IOException>(() => first);
        await Assert.ThrowsAsync<IOException>(() => second);
        Volatile.Write(ref diskFails, false);
        Assert.Equal([AppendOutcome.Duplicate, AppendOutcome.Duplicate, AppendOutcome.Duplicate], await store.AppendAsync([a, b, c], default));
    }

    [Fact]
    public async Task DeleteEventsBefore_ManyEvents_DeletesInChunksAndForgetsUnusedInstalls()
    {
        await using var store = new SqliteEventStore(Options, deleteChunk: 10);
        await store.InitializeAsync(default);
        var old = Enumerable.Range(0, 25).Select(_ => Incoming(Some.Install(time: Some.Now.AddDays(-10)))).ToList();
        await store.AppendAsync([.. old, Incoming(Some.Install())], default);
        await store.DeleteRollupsBeforeAsync(Some.Product, DateOnly.FromDateTime(Some.Now.UtcDateTime), default);

        var deleted = await store.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-5), default);

        Assert.Equal(25, deleted);
        Assert.Equal(1, await store.CountRawEventsAsync(Some.Product, default));
        await using var connection = new SqliteConnection($"Data Source={Options.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM installs";
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task RawEvents_TakeFewerThan100BytesEach()
    {
        // A usage-like mix over a week from 200 installs: commands with an enum, a list of allowed names, a bucket,
        // a flag and a duration; some failures; a few crashes. (Keyed hashes are 16 bytes of entropy each and would
        // measure the data, not the format.)
        var installs = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid()).ToArray();
        var random = new Random(7);
        string[] triplets = ["x64-linux", "x64-windows", "arm64-osx"];
        var events = Enumerable.Range(0, 3000).Select(i =>
        {
            var install = installs[random.Next(installs.Length)];
            var time = Some.Now.AddMinutes(-random.Next(7 * 24 * 60));
            var e = (i % 20) switch
            {
                0 => Some.Crash("System.IO.IOException at Sample.Cli.Install.Run", install, time),
                < 4 => Some.Failed(install, time, ["openssl"]),
                _ => Some.Install(install, time, triplets[random.Next(3)], ["zlib", "openssl"], random.Next(50, 50_000)),
            };
            e.Properties!.Remove("dataset");
            e.Context.Version = $"1.{random.Next(4)}.0";
            return Incoming(e);
        }).ToList();
        await Store.AppendAsync(events, default);
        await Store.DisposeAsync();

        // The raw events' share of the file: its size with them, minus its size once they (and their indexes) are gone.
        await using var connection = new SqliteConnection($"Data Source={Options.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        var withEvents = Compact(connection);
        Execute(connection, "DELETE FROM events");
        var withoutEvents = Compact(connection);

        var perEvent = (withEvents - withoutEvents) / (double)events.Count;
        output.WriteLine($"{perEvent:F1} bytes per raw event, indexes included");
        Assert.InRange(perEvent, 1, 100);

        long Compact(SqliteConnection c)
        {
            Execute(c, "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
            return new FileInfo(Options.DatabasePath).Length;
        }

        static void Execute(SqliteConnection c, string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
    }

    [Fact]
    public async Task Queries_OverKeptDayRollups_AnswerAsTheyDidWhenBuilt()
    {
        var alice = Guid.NewGuid();
        var old = Some.Now.AddDays(-10);
        await Store.AppendAsync(
        [
            Incoming(Some.Install(alice, old, packages: ["zlib", "openssl"], buildTime: 900)),
            Incoming(Some.Install(alice, old, packages: ["zlib"], triplet: "arm64-osx")),
            Incoming(Some.Install(time: old.AddDays(1), packages: ["zlib"])),
            Incoming(Some.Crash("System.Exception at Sample.Cli.Fail", time: old)),
            Incoming(Some.Install()),
        ], default);

        var built = await AskEverythingAsync();
        await FlushWriterAsync();
        var kept = CountDayRollups();
        var again = await AskEverythingAsync();

        // Names 0 (every event), install and crash on each of the two old days (the crash's second day empty):
        // the product's newest day and the one before are never kept.
        Assert.Equal(6L, kept);
        Assert.Equal(built, again);
        Assert.Equal([new(Today.AddDays(-10), 3, 2), new(Today.AddDays(-9), 1, 1), new(Today, 1, 1)], built.Days.Select(d => d.Exact()));
    }

    [Fact]
    public async Task PrepareDayRollups_KeepsEveryClosedDayBeforeAnyQuery()
    {
        var old = Some.Now.AddDays(-40);
        await Store.AppendAsync([Incoming(Some.Install(time: old)), Incoming(Some.Crash("System.Exception at Sample.Cli.Fail", time: old.AddDays(35))), Incoming(Some.Install())], default);

        var built = await Store.PrepareDayRollupsAsync(Some.Product, Today.AddDays(-400), Today, default);
        var again = await Store.PrepareDayRollupsAsync(Some.Product, Today.AddDays(-400), Today, default);

        // Names 0, install and crash on each of the two closed days; today is not kept, and nothing is built twice.
        Assert.Equal((6, 0), (built, again));
        Assert.Equal(6L, CountDayRollups());
        var total = await Store.CountEventsExactAsync(new EventFilter(Some.Product, Today.AddDays(-60), Today), Interval.Total, default);
        Assert.Equal(3, total.Single().Events);
    }

    [Fact]
    public async Task NewestDay_QueriedBetweenCommits_CountsEachCommit()
    {
        var today = new EventFilter(Some.Product, Today, Today, Event: "install");
        await Store.AppendAsync([Incoming(Some.Install(packages: ["zlib"]))], default);
        var first = await Store.CountByPropertyExactAsync(today, "packages", default);
        var again = await Store.CountByPropertyExactAsync(today, "packages", default);

        await Store.AppendAsync([Incoming(Some.Install(packages: ["zlib", "openssl"]))], default);
        var after = await Store.CountByPropertyExactAsync(today, "packages", default);

        Assert.Equal(first, again);
        Assert.Contains(new GroupCount("zlib", 1, 1), first);
        Assert.Contains(new GroupCount("zlib", 2, 2), after);
        Assert.Contains(new GroupCount("openssl", 1, 1), after);
    }

    [Fact]
    public async Task LateEvent_ForTheDayBeforeTheNewest_IsCountedByFilteredAndUnfilteredQueries()
    {
        var yesterday = Some.Now.AddDays(-1);
        var packages = new EventFilter(Some.Product, Today.AddDays(-1), Today, Event: "install");
        var linux = packages with { Os = "linux" };
        await Store.AppendAsync([Incoming(Some.Install(time: yesterday, packages: ["zlib"])), Incoming(Some.Install(packages: ["zlib"]))], default);
        var before = (await Store.CountByPropertyExactAsync(packages, "packages", default), await Store.CountByPropertyExactAsync(linux, "packages", default));

        await Store.AppendAsync([Incoming(Some.Install(time: yesterday, packages: ["openssl"]))], default);
        var after = (await Store.CountByPropertyExactAsync(packages, "packages", default), await Store.CountByPropertyExactAsync(linux, "packages", default));

        Assert.Equal([new GroupCount("zlib", 2, 2)], before.Item1);
        Assert.Equal(before.Item1, before.Item2);
        Assert.Equal([new GroupCount("zlib", 2, 2), new GroupCount("openssl", 1, 1)], after.Item1);
        Assert.Equal(after.Item1, after.Item2);
    }

    [Fact]
    public async Task NewestDay_ManyQueriesAtOnce_EachAnswersAsItWouldAlone()
    {
        await Store.AppendAsync([.. Enumerable.Range(0, 60).Select(i => Incoming(Some.Install(packages: i % 3 == 0 ? ["zlib", "openssl"] : ["zlib"], buildTime: 100 * i)))], default);
        var today = new EventFilter(Some.Product, Today, Today, Event: "install");
        var filtered = today with { Version = "1.4.0" };

        var together = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() => AskAsync(i % 4))));
        var alone = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            alone.Add(await AskAsync(i));
        }

        Assert.Equal(Enumerable.Range(0, 24).Select(i => alone[i % 4]), together);
        Assert.Contains("openssl:20:20", alone[0], StringComparison.Ordinal);
        Assert.Equal(alone[0], alone[1]);

        async Task<string> AskAsync(int which) => which switch
        {
            0 => string.Join(' ', (await Store.CountByPropertyExactAsync(today, "packages", default)).Select(g => $"{g.Value}:{g.Events}:{g.Installs}")),
            1 => string.Join(' ', (await Store.CountByPropertyExactAsync(filtered, "packages", default)).Select(g => $"{g.Value}:{g.Events}:{g.Installs}")),
            2 => string.Join(' ', (await Store.GetDurationHistogramAsync(today, "buildTime", Interval.Day, default)).Select(h => $"{h.Bucket}:{h.Count}")),
            _ => string.Join(' ', (await Store.CountByContextExactAsync(today, ContextDimension.Os, default)).Select(g => $"{g.Value}:{g.Events}:{g.Installs}")),
        };
    }

    [Fact]
    public async Task DeleteInstall_OnTheNewestDay_DropsItFromFilteredAndUnfilteredCounts()
    {
        var alice = Guid.NewGuid();
        var packages = new EventFilter(Some.Product, Today.AddDays(-1), Today, Event: "install");
        var linux = packages with { Os = "linux" };
        await Store.AppendAsync([Incoming(Some.Install(alice, packages: ["openssl"])), Incoming(Some.Install(packages: ["zlib"]))], default);
        Assert.Equal(2, (await Store.CountByPropertyExactAsync(linux, "packages", default)).Count);
        Assert.Equal(2, (await Store.CountByPropertyExactAsync(packages, "packages", default)).Count);

        await Store.DeleteInstallAsync(Some.Product, alice, default);

        Assert.Equal([new GroupCount("zlib", 1, 1)], await Store.CountByPropertyExactAsync(packages, "packages", default));
        Assert.Equal([new GroupCount("zlib", 1, 1)], await Store.CountByPropertyExactAsync(linux, "packages", default));
    }

    [Fact]
    public async Task LateEvent_ForAKeptDay_IsCounted()
    {
        var old = Some.Now.AddDays(-10);
        await Store.AppendAsync([Incoming(Some.Install(time: old, packages: ["zlib"])), Incoming(Some.Install())], default);
        await AskEverythingAsync();
        await FlushWriterAsync();

        await Store.AppendAsync([Incoming(Some.Install(time: old, packages: ["zlib", "openssl"]))], default);
        var after = await AskEverythingAsync();

        // Today's install (the newest day, never kept) names zlib too.
        Assert.Equal(new PeriodCount(Today.AddDays(-10), 2, 2), after.Days[0].Exact());
        Assert.Contains(new GroupCount("zlib", 3, 3), after.Packages.Select(g => g.Exact()));
        Assert.Contains(new GroupCount("openssl", 1, 1), after.Packages.Select(g => g.Exact()));
    }

    [Fact]
    public async Task KeptDay_ReadThenChangedAndKeptAgain_IsReadAtItsNewVersion()
    {
        var alice = Guid.NewGuid();
        var old = Some.Now.AddDays(-10);
        await Store.AppendAsync([Incoming(Some.Install(alice, old, packages: ["zlib"])), Incoming(Some.Install(time: old, packages: ["zlib"])), Incoming(Some.Install())], default);
        await AskEverythingAsync();
        await FlushWriterAsync();
        var read = await AskEverythingAsync();

        // A late event: the day is built again and kept at its new version, then read from the file again.
        await Store.AppendAsync([Incoming(Some.Install(time: old, packages: ["openssl"]))], default);
        await AskEverythingAsync();
        await FlushWriterAsync();
        var late = await AskEverythingAsync();

        // A deletion: the same, without the install.
        await Store.DeleteInstallAsync(Some.Product, alice, default);
        await AskEverythingAsync();
        await FlushWriterAsync();
        var deleted = await AskEverythingAsync();

        Assert.Equal(new PeriodCount(Today.AddDays(-10), 2, 2), read.Days[0].Exact());
        Assert.Equal(new PeriodCount(Today.AddDays(-10), 3, 3), late.Days[0].Exact());
        Assert.Contains(new GroupCount("openssl", 1, 1), late.Packages.Select(g => g.Exact()));
        Assert.Equal(new PeriodCount(Today.AddDays(-10), 2, 2), deleted.Days[0].Exact());
        Assert.Contains(new GroupCount("zlib", 2, 2), deleted.Packages.Select(g => g.Exact()));
    }

    [Fact]
    public async Task DeleteInstall_OnAKeptDay_DropsItsDayRollupsAndItsCounts()
    {
        var alice = Guid.NewGuid();
        var old = Some.Now.AddDays(-10);
        await Store.AppendAsync([Incoming(Some.Install(alice, old, packages: ["openssl"])), Incoming(Some.Install(time: old, packages: ["zlib"])), Incoming(Some.Install())], default);
        await AskEverythingAsync();
        await FlushWriterAsync();
        Assert.Equal(2L, CountDayRollups());

        await Store.DeleteInstallAsync(Some.Product, alice, default);
        var left = CountDayRollups();
        var after = await AskEverythingAsync();

        Assert.Equal(0L, left);
        Assert.Equal(new PeriodCount(Today.AddDays(-10), 1, 1), after.Days[0].Exact());
        Assert.Contains(new GroupCount("zlib", 2, 2), after.Packages.Select(g => g.Exact()));
        Assert.DoesNotContain(after.Packages, p => p.Value == "openssl");
    }

    [Fact]
    public async Task Reopen_WithAnEarlierLayout_IsRefusedWithAClearMessage()
    {
        await Store.AppendAsync([Incoming(Some.Install())], default);
        await Store.DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={Options.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            Execute(connection, "PRAGMA user_version = 3");
        }

        await using var reopened = new SqliteEventStore(Options);
        var refused = await Assert.ThrowsAsync<IOException>(() => reopened.InitializeAsync(default));

        Assert.Contains("an earlier version of the collector", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reopen_Layout4_IsUpgradedInPlace_AndItsInstallsCanStillBeDeleted()
    {
        var alice = Guid.NewGuid();
        await Store.AppendAsync([Incoming(Some.Install(alice)), Incoming(Some.Install(alice, time: Some.Now.AddDays(-2))), Incoming(Some.Install())], default);
        await Store.DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={Options.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            Execute(connection, """
                DROP TABLE staged_events; DROP TABLE staged_rollups; DROP TABLE install_days;
                CREATE INDEX rollups_by_install ON rollups(install);
                PRAGMA user_version = 4;
                """);
        }

        await using var reopened = new SqliteEventStore(Options);
        await reopened.InitializeAsync(default);
        await reopened.AppendAsync([Incoming(Some.Install())], default);
        var deleted = await reopened.DeleteInstallAsync(Some.Product, alice, default);

        Assert.Equal(2, deleted);
        Assert.Equal(2, await reopened.CountRawEventsAsync(Some.Product, default));
        Assert.Equal(2, Count(Options.DatabasePath, $"SELECT SUM(n) FROM rollups WHERE name = {SqliteSchema.AnyEvent}"));
        Assert.Equal(SqliteSchema.Version, Count(Options.DatabasePath, "SELECT user_version FROM pragma_user_version"));
        Assert.Equal(0, Count(Options.DatabasePath, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'rollups_by_install'"));
    }

    [Fact]
    public async Task Reopen_Layout5_DropsTheMachineHashes_AndGivesInstallsAVerifierColumn()
    {
        var alice = Guid.NewGuid();
        var old = Some.Install(alice);
        old.Verifier = null;
        await Store.AppendAsync([Incoming(old), Incoming(Some.Install())], default);
        await Store.DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={Options.DatabasePath};Pooling=False"))
        {
            // Layout 5 as the earlier collector wrote it: a machine hash interned with each event, installs without verifiers.
            await connection.OpenAsync();
            Execute(connection, """
                ALTER TABLE installs DROP COLUMN verifier;
                INSERT INTO strings(value) VALUES ('00112233445566778899aabbccddeeff');
                ALTER TABLE events ADD COLUMN machine INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE staged_events ADD COLUMN machine INTEGER NOT NULL DEFAULT 0;
                UPDATE events SET machine = (SELECT id FROM strings WHERE value = '00112233445566778899aabbccddeeff');
                PRAGMA user_version = 5;
                """);
        }

        await using var reopened = new SqliteEventStore(Options);
        await reopened.InitializeAsync(default);
        await reopened.AppendAsync([Incoming(Some.Install())], default);

        Assert.Equal(SqliteSchema.Version, Count(Options.DatabasePath, "SELECT user_version FROM pragma_user_version"));
        Assert.Equal(0, Count(Options.DatabasePath, "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'machine'"));
        Assert.Equal(0, Count(Options.DatabasePath, "SELECT COUNT(*) FROM pragma_table_info('staged_events') WHERE name = 'machine'"));
        Assert.Equal(3, await reopened.CountRawEventsAsync(Some.Product, default));
        Assert.Null(await reopened.GetInstallVerifierAsync(Some.Product, alice, default));
        await reopened.AppendAsync([Incoming(Some.Install(alice))], default);
        Assert.Equal(Convert.FromHexString(Some.VerifierOf(alice)), await reopened.GetInstallVerifierAsync(Some.Product, alice, default));
        Assert.Equal(2, await reopened.DeleteInstallAsync(Some.Product, alice, default));
    }

    [Fact]
    public async Task Append_BelowAFold_IsStaged_AndQueriesFoldItFirst()
    {
        var alice = Guid.NewGuid();
        await Store.AppendAsync([Incoming(Some.Install(alice)), Incoming(Some.Install(alice)), Incoming(Some.Failed())], default);
        var staged = Count(Options.DatabasePath, "SELECT COUNT(*) FROM staged_events");

        var days = await Store.CountEventsExactAsync(new EventFilter(Some.Product, Today.AddDays(-1), Today), Interval.Day, default);

        Assert.Equal(3, staged);
        Assert.Equal([new PeriodCount(Today, 3, 2)], days);
        Assert.Equal(0, Count(Options.DatabasePath, "SELECT COUNT(*) FROM staged_events"));
        Assert.Equal(0, Count(Options.DatabasePath, "SELECT COUNT(*) FROM staged_rollups"));
        Assert.Equal(3, Count(Options.DatabasePath, "SELECT COUNT(*) FROM events"));
    }

    [Fact]
    public async Task Append_ReachingAFold_MovesTheStagedEventsIntoEventsAndRollups()
    {
        var options = new StorageOptions { DataPath = Path.Combine(_folder, "fold"), FlushEachCommit = false, EventsPerFold = 5 };
        await using var store = new SqliteEventStore(options);
        await store.InitializeAsync(default);
        await store.SaveProductAsync(new ProductRecord(Some.Product, 14, 5, Some.Now), default);
        await store.AddManifestAsync(new ManifestRecord(Some.Product, 1, Some.ManifestJson, Some.Now), default);
        var first = Enumerable.Range(0, 3).Select(_ => Incoming(Some.Install())).ToList();
        await store.AppendAsync(first, default);
        var stagedBefore = Count(options.DatabasePath, "SELECT COUNT(*) FROM staged_events");

        var second = await store.AppendAsync([Incoming(Some.Install()), first[0], Incoming(Some.Install()), Incoming(Some.Failed())], default);

        Assert.Equal(3, stagedBefore);
        Assert.Equal([AppendOutcome.Stored, AppendOutcome.Duplicate, AppendOutcome.Stored, AppendOutcome.Stored], second);
        Assert.Equal(0, Count(options.DatabasePath, "SELECT COUNT(*) FROM staged_events"));
        Assert.Equal(0, Count(options.DatabasePath, "SELECT COUNT(*) FROM staged_rollups"));
        Assert.Equal(6, Count(options.DatabasePath, "SELECT COUNT(*) FROM events"));
        Assert.Equal(6, Count(options.DatabasePath, $"SELECT SUM(n) FROM rollups WHERE name = {SqliteSchema.AnyEvent}"));
        Assert.Equal([AppendOutcome.Duplicate], await store.AppendAsync([first[1]], default));
    }

    [Fact]
    public async Task Start_AfterAProcessStoppedWithStagedEvents_FoldsThemOnce()
    {
        var alice = Guid.NewGuid();
        var events = new List<IncomingEvent> { Incoming(Some.Install(alice, packages: ["zlib"])), Incoming(Some.Install(alice, packages: ["zlib"])), Incoming(Some.Failed()) };
        await Store.AppendAsync(events, default);
        // The file as a kill -9 would leave it now: the store is still open, its staged events committed, not folded.
        var crashed = new StorageOptions { DataPath = Path.Combine(_folder, "crashed"), FlushEachCommit = false };
        Directory.CreateDirectory(crashed.FullDataPath);
        File.Copy(Options.DatabasePath, crashed.DatabasePath);
        File.Copy(Options.DatabasePath + "-wal", crashed.DatabasePath + "-wal");
        Assert.Equal(3, Count(crashed.DatabasePath, "SELECT COUNT(*) FROM staged_events"));

        await using var restarted = new SqliteEventStore(crashed);
        await restarted.InitializeAsync(default);
        var retried = await restarted.AppendAsync(events, default);

        Assert.Equal([AppendOutcome.Duplicate, AppendOutcome.Duplicate, AppendOutcome.Duplicate], retried);
        Assert.Equal(0, Count(crashed.DatabasePath, "SELECT COUNT(*) FROM staged_events"));
        Assert.Equal(3, await restarted.CountRawEventsAsync(Some.Product, default));
        var installs = new EventFilter(Some.Product, Today.AddDays(-1), Today, Event: "install");
        Assert.Equal([new GroupCount("zlib", 2, 1)], await restarted.CountByPropertyExactAsync(installs, "packages", default));
    }

    [Fact]
    public async Task Append_SharingATransactionWithWorkThatFails_IsStoredOnceWhenRunAlone()
    {
        await using var store = await OpenFlushedAsync();
        var good = Incoming(Some.Install());
        var unknownProduct = Incoming(Some.Install()) with { Product = "not-registered" };

        var (plug, withGood, withUnknown, _) = await QueueBehindALockAsync(store, Flushed.DatabasePath, [[Incoming(Some.Install())], [good], [unknownProduct]]);

        Assert.Equal([AppendOutcome.Stored], await plug);
        Assert.Equal([AppendOutcome.Stored], await withGood);
        await Assert.ThrowsAsync<InvalidOperationException>(() => withUnknown);
        Assert.Equal([AppendOutcome.Duplicate], await store.AppendAsync([good], default));
        Assert.Equal(2, await store.CountRawEventsAsync(Some.Product, default));
    }

    private static DateOnly Today => DateOnly.FromDateTime(Some.Now.UtcDateTime);

    private async Task<Answers> AskEverythingAsync()
    {
        var all = new EventFilter(Some.Product, Today.AddDays(-30), Today);
        var installs = all with { Event = "install" };
        return new Answers(
            [.. await Store.CountEventsAsync(all, Interval.Day, default)],
            [.. await Store.CountEventsAsync(installs with { Os = "linux" }, Interval.Total, default)],
            [.. await Store.CountByPropertyAsync(installs, "packages", default)],
            [.. await Store.CountByPropertyAsync(all, "triplet", default)],
            [.. await Store.CountByContextAsync(all, ContextDimension.Version, default)],
            [.. await Store.GetDurationHistogramAsync(installs, "buildTime", Interval.Week, default)]);
    }

    // The writer runs work in order, so once an audit entry is committed the day rollups queued before are kept.
    private Task FlushWriterAsync() => Store.AppendAuditAsync(new AuditEntry(Some.Now, "test", "flush", "", ""), default);

    private static long Count(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // Names and days with a kept day rollup (of one part or more).
    private long CountDayRollups()
    {
        using var connection = new SqliteConnection($"Data Source={Options.DatabasePath};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM (SELECT DISTINCT name, day FROM day_rollups)";
        return (long)cmd.ExecuteScalar()!;
    }

    private sealed record Answers(
        List<PeriodCount> Days, List<PeriodCount> Linux, List<GroupCount> Packages, List<GroupCount> Triplets, List<GroupCount> Versions, List<HistogramCount> Durations)
    {
        public bool Equals(Answers? other) =>
            other is not null && Days.SequenceEqual(other.Days) && Linux.SequenceEqual(other.Linux) && Packages.SequenceEqual(other.Packages)
            && Triplets.SequenceEqual(other.Triplets) && Versions.SequenceEqual(other.Versions) && Durations.SequenceEqual(other.Durations);

        public override int GetHashCode() => Days.Count;
    }

    // A store with FlushEachCommit, the sample product registered.
    private async Task<SqliteEventStore> OpenFlushedAsync(Action<FileStream>? flushWal = null)
    {
        var store = new SqliteEventStore(Flushed, flushWal: flushWal);
        await store.InitializeAsync(default);
        await store.SaveProductAsync(new ProductRecord(Some.Product, 14, 5, Some.Now), default);
        await store.AddManifestAsync(new ManifestRecord(Some.Product, 1, Some.ManifestJson, Some.Now), default);
        return store;
    }

    // Another connection holds the file's write lock while the first batch goes to the writer (which waits for the
    // lock) and the others queue behind it, so that they are taken together once the lock is gone.
    private static async Task<(Task<IReadOnlyList<AppendOutcome>> Plug, Task<IReadOnlyList<AppendOutcome>> First, Task<IReadOnlyList<AppendOutcome>> Second, long Commits)>
        QueueBehindALockAsync(SqliteEventStore store, string database, List<IncomingEvent>[] batches)
    {
        await using var blocker = new SqliteConnection($"Data Source={database};Pooling=False");
        await blocker.OpenAsync();
        using var lockHeld = blocker.BeginTransaction(deferred: false);
        var plug = store.AppendAsync(batches[0], default);
        await TestCollector.EventuallyAsync(() => Task.FromResult(store.Backlog == batches[0].Count), "the first batch to wait for the lock");
        var first = store.AppendAsync(batches[1], default);
        var second = store.AppendAsync(batches[2], default);
        await TestCollector.EventuallyAsync(() => Task.FromResult(store.Backlog == batches.Sum(b => b.Count)), "the others to queue");
        var commits = store.Commits;
        lockHeld.Rollback();
        return (plug, first, second, commits);
    }

    private protected override async Task<IEventStore> CreateStoreAsync()
    {
        var store = new SqliteEventStore(Options);
        await store.InitializeAsync(default);
        return store;
    }

    private protected override Task DeleteStoreAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}
