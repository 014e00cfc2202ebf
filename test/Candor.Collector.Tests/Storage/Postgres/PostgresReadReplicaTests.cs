using System.Collections.Immutable;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Manifest;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

/// <summary>
/// A PostgreSQL store with <see cref="StorageOptions.ReadConnectionString"/> set to a real streaming replica of the
/// test server (made with <c>pg_basebackup</c> by <c>.ci/run</c>). Replay on the replica is paused to make it lag on
/// purpose: the only test here that pauses it, so the other tests' schemas are not held up.
/// </summary>
[NeedsPostgres]
[NeedsPostgresReplica]
public sealed class PostgresReadReplicaTests : IAsyncLifetime
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(Some.Now.UtcDateTime);

    private static readonly EventFilter Filter = new(Some.Product, Today, Today);

    private readonly CatalogProduct _product = new(
        new ProductRecord(Some.Product, 14, 5, Some.Now),
        ImmutableSortedDictionary<int, TelemetryManifest>.Empty.Add(1, TelemetryManifest.Parse(Some.ManifestJson)));

    private string _schema = "";
    private string _primary = "";
    private string _replica = "";

    public async Task InitializeAsync()
    {
        (_schema, _primary) = await PostgresServer.CreateSchemaAsync();
        _replica = new NpgsqlConnectionStringBuilder(PostgresServer.ReplicaConnectionString) { SearchPath = _schema }.ConnectionString;
    }

    public Task DisposeAsync() => PostgresServer.DropSchemaAsync(_schema);

    [DatabaseFact]
    public async Task Queries_LaggingReplica_AnswerAsOfItsLastReplayThenCatchUp()
    {
        await using var store = new PostgresEventStore(new StorageOptions { Provider = StorageOptions.Postgres, ConnectionString = _primary, ReadConnectionString = _replica });
        await store.InitializeAsync(default);
        await store.SaveProductAsync(_product.Record, default);
        await store.AddManifestAsync(new ManifestRecord(Some.Product, 1, Some.ManifestJson, Some.Now), default);
        await store.AppendAsync([Incoming(), Incoming(), Incoming()], default);
        await WaitForReplicaAsync(store, events: 3);

        await ReplayAsync("pause");
        try
        {
            await store.AppendAsync([Incoming(), Incoming()], default);

            // Acknowledged, so on the primary; the query API's reads see the replica as it was when replay stopped.
            Assert.Equal(5, await store.CountRawEventsAsync(Some.Product, default));
            Assert.Equal(3, (await store.CountEventsAsync(Filter, Interval.Total, default)).Single().Events);
            Assert.Equal(3, (await store.CountAsync([RollupQuery.Events(Filter, Interval.Day)], default)).Single().PeriodRows.Single().Events);
            Assert.Equal(3, (await store.ReadRawAsync(Filter, 100, default)).Count);
        }
        finally
        {
            await ReplayAsync("resume");
        }

        await WaitForReplicaAsync(store, events: 5);
        Assert.Equal(5, (await store.ReadRawAsync(Filter, 100, default)).Count);
    }

    // Pauses or resumes replay on the replica, and waits until a pause has taken hold.
    private async Task ReplayAsync(string action)
    {
        await PostgresServer.ExecuteAsync($"SELECT pg_wal_replay_{action}()", _replica);
        while (action == "pause" && await ReplicaScalarAsync<string>("SELECT pg_get_wal_replay_pause_state()") != "paused")
        {
            await Task.Delay(50);
        }
    }

    // Until the replica has replayed the schema and the events. A replica that stopped following the primary (one
    // whose WAL the primary no longer has never catches up) fails the test after two minutes, saying where it stands,
    // rather than hanging the test run.
    private async Task WaitForReplicaAsync(PostgresEventStore store, long events)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await store.CountEventsAsync(Filter, Interval.Total, default)).SingleOrDefault()?.Events == events)
                {
                    return;
                }
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
            {
                // The schema is not replayed yet.
            }

            if (waited.Elapsed > TimeSpan.FromMinutes(2))
            {
                var receiver = await ReplicaScalarAsync<object>("SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'no WAL receiver')");
                var replayed = await ReplicaScalarAsync<object>("SELECT pg_last_wal_replay_lsn()::text");
                var primary = await PostgresServer.ScalarAsync<object>("SELECT pg_current_wal_lsn()::text", _primary);
                Assert.Fail($"The replica did not replay {events} events in two minutes: its WAL receiver is '{receiver}', it replayed up to {replayed} and the primary is at {primary}. A replica that lost the primary's WAL must be made again (see .ci/run).");
            }

            await Task.Delay(50);
        }
    }

    private async Task<T> ReplicaScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_replica);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private IncomingEvent Incoming()
    {
        var (incoming, refusal) = new EventValidator(new FakeTimeProvider(Some.Now)).Validate(Some.Install(), _product, "", TimeSpan.FromDays(1));
        Assert.Null(refusal);
        return incoming!;
    }
}
