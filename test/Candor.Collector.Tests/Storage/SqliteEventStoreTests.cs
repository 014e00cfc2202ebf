using Candor.Collector.Storage;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Candor.Collector.Tests.Storage;

public class SqliteEventStoreTests(ITestOutputHelper output) : EventStoreContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("candor-store-").FullName;

    private StorageOptions Options => new() { DataPath = _folder, FlushEachCommit = false };

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
