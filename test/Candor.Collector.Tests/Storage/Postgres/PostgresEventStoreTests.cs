using System.Text;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

// They run alone: the compaction tests look for deleted rows' bytes after VACUUM FULL, which keeps every row that a
// transaction still open elsewhere in the database might see, and the other tests' stores (a day-rollup build's
// snapshot among them) hold such transactions at any moment.
[NeedsPostgres]
[Collection(nameof(Operations.OperationsTests))]
public partial class PostgresEventStoreTests : EventStoreContract
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

        // Version 1 as the earlier collector left it: a machine hash with each event, no verifiers, none of the later tables.
        var written = _schema;
        (_schema, _connectionString) = await PostgresOldSchema.CopyAsync(written, 1);
        await PostgresServer.DropSchemaAsync(written);

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
        Assert.Equal([new PeriodCount(Today, 200, 5)], await other.CountEventsExactAsync(filter, Interval.Total, default));
        Assert.Equal([new GroupCount("zlib", 200, 5)], await Store.CountByPropertyExactAsync(filter, "packages", default));
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
        var days = await Store.CountEventsExactAsync(new EventFilter(Some.Product, Today.AddDays(-30), Today), Interval.Day, default);
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

        var days = await auckland.CountEventsExactAsync(filter, Interval.Day, default);
        var weeks = await auckland.CountEventsExactAsync(filter, Interval.Week, default);
        var raw = await auckland.ReadRawAsync(filter with { From = new(2026, 3, 9), To = new(2026, 3, 9) }, 10, default);

        Assert.Equal([new(2026, 3, 8), new(2026, 3, 9)], days.Select(d => d.Period));
        Assert.Equal([new(2026, 3, 2), new(2026, 3, 9)], weeks.Select(d => d.Period));
        Assert.Equal(sunday.AddHours(1), Assert.Single(raw).Time);
    }

    [DatabaseFact]
    public async Task PrepareDayRollups_KeepsEverySettledDay_AndBuildsNothingTwice()
    {
        var old = Some.Now.AddDays(-40);
        await Store.AppendAsync([Incoming(Some.Install(time: old)), Incoming(Some.Crash("System.Exception at Sample.Cli.Fail", time: old.AddDays(35))), Incoming(Some.Install())], default);

        var built = await Store.PrepareDayRollupsAsync(Some.Product, Today.AddDays(-400), Today, default);
        var again = await Store.PrepareDayRollupsAsync(Some.Product, Today.AddDays(-400), Today, default);

        // Name 0 and the one event name of each of the three days (all ended long ago on the server's clock).
        Assert.Equal((6, 0), (built, again));
        Assert.Equal(6L, await ScalarAsync<long>("SELECT COUNT(DISTINCT (day, name)) FROM day_rollups"));
        var total = await Store.CountEventsExactAsync(new EventFilter(Some.Product, Today.AddDays(-60), Today), Interval.Total, default);
        Assert.Equal(3, total.Single().Events);
    }

    // On PostgreSQL a deleted row's bytes stay in the table and index files until the tables are rewritten: after
    // CompactErasedAsync none are in any file of the schema's tables, indexes or their TOAST storage. The files are
    // read through the server (pg_read_binary_file, which needs a superuser, as the test server's user is), after a
    // checkpoint so that what is in memory is in the files too.
    [DatabaseFact]
    public async Task DeleteInstall_ThenCompact_LeavesNoByteOfTheInstallOrItsEventsInTheFiles()
    {
        var alice = Guid.NewGuid();
        var hers = Enumerable.Range(0, 40).Select(i => Some.Install(alice, Some.Now.AddMinutes(-i), packages: ["zlib"])).ToList();
        var bob = Some.Install();
        await Store.AppendAsync([.. hers.Select(e => Incoming(e)), Incoming(bob)], default);
        Assert.True(await FilesHoldAsync(alice), "the search must find the install before it is deleted");
        Assert.False(await Store.CompactErasedAsync(TimeSpan.Zero, default), "nothing was deleted yet");

        await Store.DeleteInstallAsync(Some.Product, alice, default);
        Assert.False(await Store.CompactErasedAsync(TimeSpan.FromHours(1), default), "the deletion is younger than the bound");
        Assert.True(await Store.CompactErasedAsync(TimeSpan.Zero, default));

        Assert.False(await FilesHoldAsync(alice), "the install ID is still in a table file");
        foreach (var e in hers)
        {
            Assert.False(await FilesHoldAsync(e.Id), $"event {e.Id} is still in a table file");
        }

        Assert.True(await FilesHoldAsync(bob.Id), "another install's event must stay");
        Assert.False(await Store.CompactErasedAsync(TimeSpan.Zero, default), "the deletion was compacted already");
    }

    [DatabaseFact]
    public async Task Retention_ThenCompact_LeavesNoByteOfTheExpiredEventsOrTheirInstall()
    {
        var alice = Guid.NewGuid();
        var old = Enumerable.Range(0, 30).Select(i => Some.Install(alice, Some.Now.AddDays(-400).AddMinutes(-i))).ToList();
        var recent = Some.Install(time: Some.Now);
        await Store.AppendAsync([.. old.Select(e => Incoming(e)), Incoming(recent)], default);

        await Store.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-200), default);
        await Store.DeleteRollupsBeforeAsync(Some.Product, DateOnly.FromDateTime(Some.Now.AddDays(-200).UtcDateTime), default);
        Assert.True(await Store.CompactErasedAsync(TimeSpan.Zero, default));

        Assert.False(await FilesHoldAsync(alice), "the install of only expired events is still in a table file");
        foreach (var e in old)
        {
            Assert.False(await FilesHoldAsync(e.Id), $"expired event {e.Id} is still in a table file");
        }

        Assert.True(await FilesHoldAsync(recent.Id));
    }

    // Events hold install numbers: one may go only when no event holds it, whatever the rollups' retention.
    [DatabaseFact]
    public async Task RollupRetention_KeepsTheNumberOfAnInstallWithEventsLeft_EventRetentionThenForgetsIt()
    {
        var alice = Guid.NewGuid();
        var hers = Enumerable.Range(0, 5).Select(i => Some.Install(alice, Some.Now.AddDays(-100).AddMinutes(-i))).ToList();
        await Store.AppendAsync([.. hers.Select(e => Incoming(e)), Incoming(Some.Install(time: Some.Now))], default);
        var filter = new EventFilter(Some.Product, Today.AddDays(-120), Today);

        await Store.DeleteRollupsBeforeAsync(Some.Product, Today.AddDays(-50), default);

        var raw = await Store.ReadRawAsync(filter, 100, default);
        Assert.Equal(hers.Count, raw.Count(e => e.Install == alice));
        Assert.Equal(2L, await ScalarAsync<long>("SELECT COUNT(*) FROM install_numbers"));

        await Store.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-50), default);

        Assert.DoesNotContain(await Store.ReadRawAsync(filter, 100, default), e => e.Install == alice);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT COUNT(*) FROM install_numbers"));
        Assert.Null(await Store.GetInstallVerifierAsync(Some.Product, alice, default));
    }

    // A writer holds its installs' numbers from its insert to its commit (PostgresEventWriter): a deletion waits for
    // it and then deletes what it stored too, instead of leaving an event whose install no longer has a number.
    [DatabaseFact]
    public async Task DeleteInstall_WhileAWriterHoldsTheInstallsNumber_WaitsAndDeletesWhatItStored()
    {
        var alice = Guid.NewGuid();
        await Store.AppendAsync([Incoming(Some.Install(alice, Some.Now.AddMinutes(-5))), Incoming(Some.Install())], default);

        await using var writer = new NpgsqlConnection(_connectionString);
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var store = new NpgsqlCommand("""
            WITH n AS (SELECT product, number FROM install_numbers WHERE install = @install FOR KEY SHARE)
            INSERT INTO events(time, id, install, name, context, product, revision, stamped, data)
            SELECT e.time + interval '1 minute', gen_random_uuid(), e.install, e.name, e.context, e.product, e.revision, false, e.data
            FROM events e JOIN n ON n.product = e.product AND n.number = e.install
            """, writer, transaction))
        {
            store.Parameters.AddWithValue("install", alice);
            Assert.Equal(1, await store.ExecuteNonQueryAsync());
        }

        var deleting = Store.DeleteInstallAsync(Some.Product, alice, default);
        for (var i = 0; i < 600 && !await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DELETE FROM install_numbers%')"); i++)
        {
            Assert.False(deleting.IsCompleted, "the deletion ended before the writer committed");
            await Task.Delay(50);
        }

        await transaction.CommitAsync();

        Assert.Equal(2, await deleting);
        Assert.Equal(1L, await Store.CountRawEventsAsync(Some.Product, default));
    }

    // Registering a known product again (every deployment may) must not use up IDs: events keep them as smallint.
    [DatabaseFact]
    public async Task SaveProduct_Again_TakesNoProductId()
    {
        var first = await ScalarAsync<int>($"SELECT id FROM products WHERE name = '{Some.Product}'");
        for (var i = 0; i < 5; i++)
        {
            await Store.SaveProductAsync(new ProductRecord(Some.Product, 12 + i, 5, Some.Now), default);
        }

        await Store.SaveProductAsync(new ProductRecord("another", 12, 5, Some.Now), default);

        Assert.Equal(first + 1, await ScalarAsync<int>("SELECT id FROM products WHERE name = 'another'"));
        Assert.Equal(16, (await Store.GetProductsAsync(default)).Single(p => p.Name == Some.Product).RetentionMonths);
        Assert.Equal("smallint", await ScalarAsync<string>("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass('events') AND attname = 'product'"));
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

    // The ID as it could be stored: a uuid's 16 bytes (PostgreSQL keeps them in network order), either order to be
    // sure, or its text with or without dashes, in either case.
    private async Task<bool> FilesHoldAsync(Guid id)
    {
        byte[][] forms =
        [
            id.ToByteArray(),
            id.ToByteArray(bigEndian: true),
            .. new[] { "D", "N" }.SelectMany(f => new[] { id.ToString(f), id.ToString(f).ToUpperInvariant() }).Select(Encoding.ASCII.GetBytes),
        ];
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using (var checkpoint = new NpgsqlCommand("CHECKPOINT", connection))
        {
            await checkpoint.ExecuteNonQueryAsync();
        }

        // Every table and index of the schema, and the TOAST table and index of each table.
        await using var files = new NpgsqlCommand("""
            WITH own AS (SELECT oid, reltoastrelid FROM pg_class WHERE relnamespace = current_schema()::regnamespace),
                 toast AS (SELECT reltoastrelid AS oid FROM own WHERE reltoastrelid <> 0),
                 toast_index AS (SELECT indexrelid AS oid FROM pg_index WHERE indrelid IN (SELECT oid FROM toast))
            SELECT pg_read_binary_file(path) FROM (
              SELECT pg_relation_filepath(oid) AS path FROM (SELECT oid FROM own UNION SELECT oid FROM toast UNION SELECT oid FROM toast_index) r
            ) p WHERE path IS NOT NULL
            """, connection);
        await using var reader = await files.ExecuteReaderAsync();
        var read = 0;
        while (await reader.ReadAsync())
        {
            read++;
            var bytes = (byte[])reader.GetValue(0);
            if (forms.Any(form => bytes.AsSpan().IndexOf(form) >= 0))
            {
                return true;
            }
        }

        Assert.True(read > 0, "no table file was read");
        return false;
    }
}
