using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

[NeedsPostgres]
public class PostgresEventStoreTests : EventStoreContract
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(Some.Now.UtcDateTime);

    private string _schema = "";
    private string _connectionString = "";

    private StorageOptions Options => new() { Provider = StorageOptions.Postgres, ConnectionString = _connectionString };

    [DatabaseFact]
    public async Task Reopen_KeepsEverythingCommitted_AndMigratesNothingTwice()
    {
        await Store.AppendAsync([Incoming(Some.Install()), Incoming(Some.Install())], default);
        await Store.DisposeAsync();

        await using var reopened = new PostgresEventStore(Options);
        await reopened.InitializeAsync(default);

        Assert.Equal(2, await reopened.CountRawEventsAsync(Some.Product, default));
        Assert.Equal(PostgresSchema.Latest, await ScalarAsync<int>("SELECT version FROM candor_schema"));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT COUNT(*) FROM candor_schema"));
    }

    [DatabaseFact]
    public async Task Reopen_Version1_ClearsTheMachineHashes_AndKeepsVerifiersFromNowOn()
    {
        var alice = Guid.NewGuid();
        var old = Some.Install(alice);
        old.Verifier = null;
        await Store.AppendAsync([Incoming(old), Incoming(Some.Install())], default);
        await Store.DisposeAsync();

        // Version 1 as the earlier collector left it: a machine hash with each event, no verifiers.
        await PostgresServer.ExecuteAsync("""
            DROP TABLE install_verifiers;
            ALTER TABLE events ADD COLUMN machine bytea;
            UPDATE events SET machine = '\x00112233445566778899aabbccddeeff';
            UPDATE candor_schema SET version = 1;
            """, _connectionString);

        await using var reopened = new PostgresEventStore(Options);
        await reopened.InitializeAsync(default);

        Assert.Equal(PostgresSchema.Latest, await ScalarAsync<int>("SELECT version FROM candor_schema"));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'events' AND column_name = 'machine'"));
        Assert.Equal(2, await reopened.CountRawEventsAsync(Some.Product, default));
        Assert.Null(await reopened.GetInstallVerifierAsync(Some.Product, alice, default));
        await reopened.AppendAsync([Incoming(Some.Install(alice))], default);
        Assert.Equal(Convert.FromHexString(Some.VerifierOf(alice)), await reopened.GetInstallVerifierAsync(Some.Product, alice, default));
        Assert.Equal(2, await reopened.DeleteInstallAsync(Some.Product, alice, default));
    }

    [DatabaseFact]
    public async Task Initialize_SchemaOfANewerCollector_IsRefused()
    {
        await PostgresServer.ExecuteAsync($"UPDATE candor_schema SET version = {PostgresSchema.Latest + 1}", _connectionString);

        await using var store = new PostgresEventStore(Options);
        var ex = await Assert.ThrowsAsync<NpgsqlException>(() => store.InitializeAsync(default));

        Assert.Contains("newer than this collector knows", ex.Message);
    }

    [DatabaseFact]
    public async Task Append_TwoCollectorsSendingTheSameEvents_StoreAndCountEachOnce()
    {
        await using var other = new PostgresEventStore(Options);
        await other.InitializeAsync(default);
        var installs = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToArray();
        var events = Enumerable.Range(0, 200).Select(i => Incoming(Some.Install(installs[i % installs.Length], packages: ["zlib"]))).ToList();

        // Each collector gets every event, in overlapping batches in opposite orders, as retries through a load balancer would.
        var batches = events.Chunk(20).ToList();
        var sends = batches.Select(b => Store.AppendAsync(b, default))
            .Concat(batches.Select(b => other.AppendAsync([.. b.Reverse()], default)));
        var outcomes = (await Task.WhenAll(sends)).SelectMany(o => o).ToList();

        Assert.Equal(200, outcomes.Count(o => o == AppendOutcome.Stored));
        Assert.Equal(200, outcomes.Count(o => o == AppendOutcome.Duplicate));
        Assert.Equal(200, await Store.CountRawEventsAsync(Some.Product, default));
        var filter = new EventFilter(Some.Product, Today, Today, Event: "install");
        Assert.Equal([new PeriodCount(Today, 200, 5)], await other.CountEventsAsync(filter, Interval.Total, default));
        Assert.Equal([new GroupCount("zlib", 200, 5)], await Store.CountByPropertyAsync(filter, "packages", default));
        Assert.Equal(200, (await Store.GetDurationHistogramAsync(filter, "buildTime", Interval.Total, default)).Sum(h => h.Count));
    }

    [DatabaseFact]
    public async Task DeleteEventsBefore_ManyEvents_DeletesInChunks()
    {
        await using var store = new PostgresEventStore(Options, deleteChunk: 10);
        await store.InitializeAsync(default);
        var old = Enumerable.Range(0, 25).Select(_ => Incoming(Some.Install(time: Some.Now.AddDays(-10)))).ToList();
        await store.AppendAsync([.. old, Incoming(Some.Install())], default);

        var deleted = await store.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-5), default);

        Assert.Equal(25, deleted);
        Assert.Equal(1, await store.CountRawEventsAsync(Some.Product, default));
    }

    [DatabaseFact]
    public async Task Retention_TwoCollectorsAtOnce_DeleteEachEventOnce()
    {
        await using var other = new PostgresEventStore(Options, deleteChunk: 7);
        await other.InitializeAsync(default);
        await Store.AppendAsync([.. Enumerable.Range(0, 60).Select(_ => Incoming(Some.Install(time: Some.Now.AddDays(-10)))), Incoming(Some.Install())], default);

        var deleted = await Task.WhenAll(
            Store.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-5), default),
            other.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-5), default));
        var rollups = await Task.WhenAll(
            Store.DeleteRollupsBeforeAsync(Some.Product, Today.AddDays(-5), default),
            other.DeleteRollupsBeforeAsync(Some.Product, Today.AddDays(-5), default));

        // The lock lets one collector at a time through; whichever finds it taken leaves the work to the other.
        Assert.Equal(60, deleted.Sum());
        Assert.Equal(1, await Store.CountRawEventsAsync(Some.Product, default));
        Assert.True(rollups.Sum() > 0);
        var days = await Store.CountEventsAsync(new EventFilter(Some.Product, Today.AddDays(-30), Today), Interval.Day, default);
        Assert.Equal([Today], days.Select(d => d.Period));
    }

    [DatabaseFact]
    public async Task Queries_SessionInAnotherTimeZone_GiveTheSameUtcDaysAndWeeks()
    {
        var sunday = new DateTimeOffset(2026, 3, 8, 23, 30, 0, TimeSpan.Zero);
        await Store.AppendAsync([Incoming(Some.Install(time: sunday)), Incoming(Some.Install(time: sunday.AddHours(1)))], default);
        await using var auckland = new PostgresEventStore(new StorageOptions
        {
            Provider = StorageOptions.Postgres,
            ConnectionString = new NpgsqlConnectionStringBuilder(_connectionString) { Timezone = "Pacific/Auckland" }.ConnectionString,
        });
        await auckland.InitializeAsync(default);
        var filter = new EventFilter(Some.Product, new(2026, 3, 1), new(2026, 3, 31), Event: "install");

        var days = await auckland.CountEventsAsync(filter, Interval.Day, default);
        var weeks = await auckland.CountEventsAsync(filter, Interval.Week, default);
        var raw = await auckland.ReadRawAsync(filter with { From = new(2026, 3, 9), To = new(2026, 3, 9) }, 10, default);

        Assert.Equal([new(2026, 3, 8), new(2026, 3, 9)], days.Select(d => d.Period));
        Assert.Equal([new(2026, 3, 2), new(2026, 3, 9)], weeks.Select(d => d.Period));
        Assert.Equal(sunday.AddHours(1), Assert.Single(raw).Time);
    }

    private protected override async Task<IEventStore> CreateStoreAsync()
    {
        (_schema, _connectionString) = await PostgresServer.CreateSchemaAsync();
        var store = new PostgresEventStore(Options);
        await store.InitializeAsync(default);
        return store;
    }

    private protected override Task DeleteStoreAsync() => PostgresServer.DropSchemaAsync(_schema);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
