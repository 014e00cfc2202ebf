using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Manifest;
using Candor.Protocol;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

/// <summary>
/// Databases an earlier collector left, with data (<see cref="PostgresOldSchema"/>), upgraded by the current store:
/// every row and every answer kept, and the store goes on working.
/// </summary>
[NeedsPostgres]
public class PostgresUpgradeTests : PostgresSchemaTests
{

    [DatabaseFact]
    public async Task Upgrade_FromVersion4WithData_TwoCollectorsAtOnce_KeepEveryRowAndAnswer()
    {
        // Written by the current store, then copied into a schema the migrations brought to version 4 only.
        var alice = Guid.NewGuid();
        var events = new List<WireEvent>();
        for (var i = 0; i < 90; i++)
        {
            var e = i % 3 == 0 ? Some.Failed(i % 9 == 0 ? alice : null, Some.Now.AddDays(-i), packages: ["zlib", "openssl"]) : Some.Install(i % 5 == 0 ? alice : null, Some.Now.AddDays(-i).AddHours(-i), packages: ["zlib"], buildTime: 100 * i);
            events.Add(e);
        }

        events.Add(Some.Crash("System.IO.IOException at Sample.Cli.Run", time: Some.Now.AddDays(-33)));
        await using (var source = await OpenAsync(ConnectionString))
        {
            await source.AppendAsync([.. events.Select(e => Incoming(e))], default);
            await source.AddCredentialAsync(new CredentialRecord(0, [1, 2, 3], CredentialRole.Admin, null, "admin", Some.Now), default);
            await source.AppendAuditAsync(new AuditEntry(Some.Now, "admin", "export", Some.Product, "{}"), default);
        }

        var expected = await SnapshotAsync(ConnectionString);
        var (old, oldConnectionString) = await PostgresOldSchema.CopyAsync(Schemas[0], 4);
        Schemas.Add(old);
        Assert.False(await PartitionedAsync(oldConnectionString));

        var stores = await Task.WhenAll(OpenAsync(oldConnectionString), OpenAsync(oldConnectionString));
        try
        {
            Assert.True(await PartitionedAsync(oldConnectionString));
            var actual = await SnapshotAsync(oldConnectionString);
            Assert.Equal(expected.Rows, actual.Rows);
            Assert.Equal(expected.Answers, actual.Answers);
            Assert.Equal(PostgresSchema.Latest, await ScalarAsync<int>("SELECT version FROM candor_schema", oldConnectionString));

            // And it goes on working: a duplicate stays one, a new event is stored, an install is deleted everywhere.
            Assert.Equal([AppendOutcome.Duplicate], await stores[1].AppendAsync([Incoming(events[0])], default));
            Assert.Equal([AppendOutcome.Stored], await stores[0].AppendAsync([Incoming(Some.Install(alice))], default));
            var hers = events.Count(e => e.Install == alice) + 1;
            Assert.Equal(hers, await stores[1].DeleteInstallAsync(Some.Product, alice, default));
            Assert.Equal(events.Count - hers + 1, await stores[0].CountRawEventsAsync(Some.Product, default));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [DatabaseFact]
    public async Task Upgrade_FromVersion6WithData_RebuildsTheEventsKey_AndKeepsEveryRowAndAnswer()
    {
        var events = Enumerable.Range(0, 60).Select(i => Some.Install(time: Some.Now.AddDays(-2 * i).AddHours(-i), packages: ["zlib"], buildTime: 10 * i)).ToList();
        await using (var source = await OpenAsync(ConnectionString))
        {
            await source.AppendAsync([.. events.Select(e => Incoming(e))], default);
        }

        var expected = await SnapshotAsync(ConnectionString);
        var (old, oldConnectionString) = await PostgresOldSchema.CopyAsync(Schemas[0], 6);
        Schemas.Add(old);
        Assert.Equal(
            ["events_by_time", "events_pkey"],
            await IndexesAsync("events", oldConnectionString));

        await using var store = await OpenAsync(oldConnectionString);

        var actual = await SnapshotAsync(oldConnectionString);
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Answers, actual.Answers);
        Assert.Equal(
            ["events_pkey", "events_stamped"],
            await IndexesAsync("events", oldConnectionString));
        Assert.Equal(
            "PRIMARY KEY (\"time\", id)",
            await ScalarAsync<string>("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass('events') AND contype = 'p'", oldConnectionString));
        Assert.Equal([AppendOutcome.Duplicate], await store.AppendAsync([Incoming(events[7])], default));
        Assert.Equal([AppendOutcome.Stored], await store.AppendAsync([Incoming(Some.Install(time: Some.Now.AddDays(-50)))], default));
        Assert.Equal(events.Count + 1, await store.CountRawEventsAsync(Some.Product, default));
    }

    [DatabaseFact]
    public async Task Upgrade_FromVersion8WithData_NumbersEveryInstall_AndKeepsEveryRowAndAnswer()
    {
        var alice = Guid.NewGuid();
        var events = Enumerable.Range(0, 80)
            .Select(i => Some.Install(i % 4 == 0 ? alice : null, Some.Now.AddDays(-i).AddHours(-i), packages: ["zlib"], buildTime: 10 * i))
            .ToList();
        await using (var source = await OpenAsync(ConnectionString))
        {
            await source.AppendAsync([.. events.Select(e => Incoming(e))], default);
        }

        var expected = await SnapshotAsync(ConnectionString);
        var (old, oldConnectionString) = await PostgresOldSchema.CopyAsync(Schemas[0], 8);
        Schemas.Add(old);
        Assert.Equal("uuid", await ColumnTypeAsync("events", "install", oldConnectionString));
        var numbered = await ScalarAsync<long>("SELECT COUNT(*) FROM install_numbers", oldConnectionString);
        Assert.InRange(numbered, 1, events.Count - 1);

        await using var store = await OpenAsync(oldConnectionString);

        // An install set's fingerprint is of its members' numbers, and the installs the migration numbered have
        // other numbers than the source gave them: the answers are the same but for the fingerprints.
        var actual = await SnapshotAsync(oldConnectionString);
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Answers.Select(WithoutFingerprints), actual.Answers.Select(WithoutFingerprints));
        Assert.Equal(
            ["integer", "smallint", "smallint", "integer"],
            [
                await ColumnTypeAsync("events", "install", oldConnectionString),
                await ColumnTypeAsync("events", "product", oldConnectionString),
                await ColumnTypeAsync("events", "revision", oldConnectionString),
                await ColumnTypeAsync("install_numbers", "number", oldConnectionString),
            ]);
        Assert.Equal(events.Select(e => e.Install).Distinct().Count(), await ScalarAsync<long>("SELECT COUNT(*) FROM install_numbers", oldConnectionString));
        Assert.Equal(
            numbered,
            await ScalarAsync<long>($"SELECT COUNT(*) FROM install_numbers n JOIN {Schemas[0]}.install_numbers s USING (product, install, number) WHERE s.number % 2 = 0", oldConnectionString));

        // And it goes on working: a duplicate stays one, a new install is numbered, an install is deleted exactly.
        var carol = Some.Install(time: Some.Now.AddDays(-3));
        Assert.Equal([AppendOutcome.Duplicate], await store.AppendAsync([Incoming(events[5])], default));
        Assert.Equal([AppendOutcome.Stored, AppendOutcome.Stored], await store.AppendAsync([Incoming(Some.Install(alice)), Incoming(carol)], default));
        var hers = events.Count(e => e.Install == alice) + 1;
        Assert.Equal(hers, await store.DeleteInstallAsync(Some.Product, alice, default));
        var left = await store.ReadRawAsync(new EventFilter(Some.Product, Today.AddDays(-120), Today), 1000, default);
        Assert.Equal(events.Count - hers + 2, left.Count);
        Assert.DoesNotContain(left, e => e.Install == alice);
        Assert.Contains(left, e => e.Install == carol.Install);
    }

    [DatabaseFact]
    public async Task Upgrade_FromVersion9WithData_PacksEveryValueIntoItsRollupRow_AndKeepsEveryRowAndAnswer()
    {
        // Repeats of an install on a day, with values that differ between its events, so that rows hold several counts.
        var alice = Guid.NewGuid();
        var events = Enumerable.Range(0, 90)
            .Select(i => Some.Install(i % 3 == 0 ? alice : null, Some.Now.AddDays(-(i % 30)).AddHours(-(i % 7)), packages: i % 2 == 0 ? ["zlib"] : ["zlib", "openssl"], buildTime: 10 * i))
            .ToList();
        await using (var source = await OpenAsync(ConnectionString))
        {
            await source.AppendAsync([.. events.Select(e => Incoming(e))], default);
        }

        var expected = await SnapshotAsync(ConnectionString);
        var (old, oldConnectionString) = await PostgresOldSchema.CopyAsync(Schemas[0], 9);
        Schemas.Add(old);
        var values = await ScalarAsync<long>("SELECT COUNT(*) FROM rollup_values", oldConnectionString);
        Assert.True(values > await ScalarAsync<long>("SELECT COUNT(*) FROM rollup_events", oldConnectionString));

        await using var store = await OpenAsync(oldConnectionString);

        // The rollup rows' packed values are the bytes the writer makes.
        var actual = await SnapshotAsync(oldConnectionString);
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Answers, actual.Answers);
        Assert.False(await ScalarAsync<bool>("SELECT to_regclass('rollup_values') IS NOT NULL", oldConnectionString));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'rollup_values%' AND relnamespace = current_schema()::regnamespace", oldConnectionString));

        // And it goes on working: new events add to the migrated rows, and an install is deleted from them.
        var filter = new EventFilter(Some.Product, Today.AddDays(-40), Today, Event: "install");
        var before = await store.CountByPropertyExactAsync(filter, "packages", default);
        Assert.Equal([AppendOutcome.Stored, AppendOutcome.Stored], await store.AppendAsync([Incoming(Some.Install(alice, packages: ["openssl"])), Incoming(Some.Install(alice, Some.Now.AddMinutes(-1), packages: ["openssl"]))], default));
        var after = await store.CountByPropertyExactAsync(filter, "packages", default);
        Assert.Equal(before.Single(g => g.Value == "openssl").Events + 2, after.Single(g => g.Value == "openssl").Events);
        Assert.Equal(before.Single(g => g.Value == "zlib").Events, after.Single(g => g.Value == "zlib").Events);
        Assert.Equal(events.Count(e => e.Install == alice) + 2, await store.DeleteInstallAsync(Some.Product, alice, default));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT COUNT(*) FROM rollup_events WHERE install = '{alice}'", oldConnectionString));
    }

    // Every row of every table (in a fixed order, as text), and the answers of the store's reads over all of it.
    private async Task<(List<string> Rows, List<string> Answers)> SnapshotAsync(string connectionString)
    {
        var rows = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var table in new[] { "products", "manifests", "credentials", "audit", "strings", "contexts", "events", "rollup_events", "rollup_measures", "install_verifiers", "collector_secrets" })
        {
            // An event is shown with its install's ID: the numbers depend on the order installs were numbered in.
            var rowsOf = table == "events"
                ? "(SELECT e.time, e.id, i.install, e.name, e.context, e.product, e.revision, e.stamped, e.data FROM events e JOIN install_numbers i ON i.product = e.product AND i.number = e.install) t"
                : table + " t";
            await using var read = new NpgsqlCommand($"SELECT t::text FROM {rowsOf} ORDER BY t::text COLLATE \"C\"", connection);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(table + " " + reader.GetString(0));
            }
        }

        await using var store = new PostgresEventStore(new StorageOptions { Provider = StorageOptions.Postgres, ConnectionString = connectionString });
        await store.InitializeAsync(default);
        var filter = new EventFilter(Some.Product, Today.AddDays(-120), Today);
        var answers = new List<string>
        {
            string.Join(";", await store.CountEventsExactAsync(filter, Interval.Day, default)),
            string.Join(";", await store.CountEventsExactAsync(filter, Interval.Month, default)),
            string.Join(";", await store.CountByPropertyExactAsync(filter with { Event = "install" }, "packages", default)),
            string.Join(";", await store.CountByContextAsync(filter, ContextDimension.Os, default)),
            string.Join(";", await store.GetDurationHistogramAsync(filter with { Event = "install" }, "buildTime", Interval.Week, default)),
            string.Join(";", (await store.ReadRawAsync(filter, 1000, default)).Select(e => $"{e.Id} {e.Name} {e.Time:O} {e.Install} {string.Join(",", e.Properties.Select(p => p.Key + "=" + (p.Value is string[] a ? string.Join("|", a) : p.Value)))} {string.Join(",", e.Measurements)}")),
            (await store.CountRawEventsAsync(Some.Product, default)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            string.Join(";", (await store.GetProductsAsync(default)).Select(p => p.Name)),
            string.Join(";", (await store.GetCredentialsAsync(default)).Select(c => c.Name)),
            string.Join(";", (await store.GetAuditAsync(10, default)).Select(a => a.Action)),
        };
        return (rows, answers);
    }

    private static string WithoutFingerprints(string answer) => Regex.Replace(answer, "Fingerprint = -?[0-9]+", "Fingerprint = ?");

    private Task<string> ColumnTypeAsync(string table, string column, string connectionString) =>
        ScalarAsync<string>($"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass('{table}') AND attname = '{column}'", connectionString);

    private Task<bool> PartitionedAsync(string connectionString) =>
        ScalarAsync<bool>("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass('events')", connectionString);
}
