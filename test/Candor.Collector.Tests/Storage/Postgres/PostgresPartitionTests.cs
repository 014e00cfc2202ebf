using System.Collections.Immutable;
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
/// The PostgreSQL store's month partitions: made ahead and on demand by several collectors at once, dropped whole
/// by retention, one ID stored once across them (upgrades with data are in <see cref="PostgresUpgradeTests"/>).
/// </summary>
[NeedsPostgres]
public class PostgresPartitionTests : PostgresSchemaTests
{
    private const string Other = "other-product";

    private static readonly DateOnly January = new(2026, 1, 1);

    private readonly CatalogProduct _other = Product(Other);

    [DatabaseFact]
    public async Task Initialize_MakesTheCurrentAndNextTwoMonths_AndNoDefaultPartition()
    {
        await using var store = await OpenAsync(ConnectionString, new FakeTimeProvider(new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero)));

        foreach (var table in new[] { "events", "rollup_events", "rollup_measures" })
        {
            Assert.Equal([$"{table}_2026_11", $"{table}_2026_12", $"{table}_2027_01"], await PartitionsAsync(table));
        }

        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relnamespace = current_schema()::regnamespace AND p.partdefid <> 0"));
    }

    [DatabaseFact]
    public async Task Append_TwoCollectorsNeedingTheSameNewMonths_BothStoreEverything()
    {
        await using var one = await OpenAsync(ConnectionString);
        await using var two = await OpenAsync(ConnectionString);
        var events = Enumerable.Range(0, 120).Select(i => Incoming(Some.Install(time: Some.Now.AddDays(-(i % 4) * 31)))).ToList();

        var outcomes = await Task.WhenAll(events.Chunk(10).Select((batch, i) => (i % 2 == 0 ? one : two).AppendAsync(batch, default)));

        Assert.All(outcomes.SelectMany(o => o), o => Assert.Equal(AppendOutcome.Stored, o));
        Assert.Equal(120, await one.CountRawEventsAsync(Some.Product, default));
        Assert.Equal(["events_2025_12", "events_2026_01", "events_2026_02", "events_2026_03", "events_2026_04", "events_2026_05"], await PartitionsAsync("events"));
    }

    // An item a foreign door stamped with its arrival: its retry has the same ID and the time it arrived again.
    [DatabaseFact]
    public async Task Append_StampedRetryAtAnotherTimeInAnotherMonth_IsADuplicate()
    {
        await using var store = await OpenAsync(ConnectionString);
        var first = Some.Install(time: Some.Now);
        var again = Some.Install(first.Install, Some.Now.AddDays(-40));
        again.Id = first.Id;

        Assert.Equal([AppendOutcome.Stored], await store.AppendAsync([Incoming(first) with { StampedOnArrival = true }], default));
        Assert.Equal([AppendOutcome.Duplicate], await store.AppendAsync([Incoming(again) with { StampedOnArrival = true }], default));

        Assert.Equal(1, await store.CountRawEventsAsync(Some.Product, default));
        var filter = new EventFilter(Some.Product, Today.AddDays(-60), Today);
        Assert.Equal([new PeriodCount(Today, 1, 1)], await store.CountEventsExactAsync(filter, Interval.Day, default));
    }

    // An event that carries its own time is found by its (time, id) in its month's partition only: a retry repeats
    // both. The same ID with another time in another month is another row, as in the SQLite store. An item stamped
    // on arrival is looked for among the stamped rows of every month (a stamped item's ID is made from its bytes, an
    // SDK event's is random: the two never meet).
    [DatabaseFact]
    public async Task Append_SameIdWithItsOwnTimeInAnotherMonth_IsNotLookedForThere_ButAStampedOneIs()
    {
        await using var store = await OpenAsync(ConnectionString);
        var first = Some.Install(time: Some.Now);
        var sameTime = Some.Install(first.Install, Some.Now);
        var otherMonth = Some.Install(first.Install, Some.Now.AddDays(-40));
        var stamped = Some.Install(first.Install, Some.Now.AddDays(-70));
        var stampedAgain = Some.Install(first.Install, Some.Now.AddDays(-100));
        sameTime.Id = otherMonth.Id = stamped.Id = stampedAgain.Id = first.Id;

        Assert.Equal([AppendOutcome.Stored], await store.AppendAsync([Incoming(first)], default));
        Assert.Equal([AppendOutcome.Duplicate], await store.AppendAsync([Incoming(sameTime)], default));
        Assert.Equal([AppendOutcome.Stored], await store.AppendAsync([Incoming(otherMonth)], default));
        Assert.Equal([AppendOutcome.Stored], await store.AppendAsync([Incoming(stamped) with { StampedOnArrival = true }], default));
        Assert.Equal([AppendOutcome.Duplicate], await store.AppendAsync([Incoming(stampedAgain) with { StampedOnArrival = true }], default));

        Assert.Equal(3L, await ScalarAsync<long>($"SELECT COUNT(*) FROM events WHERE id = '{first.Id}'"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT COUNT(*) FROM events WHERE id = '{first.Id}' AND stamped"));

        // Only stamped rows' IDs are indexed: a look for an ID at any time cannot use the key, which leads with time.
        Assert.Equal(["events_pkey", "events_stamped"], await IndexesAsync("events"));
    }

    [DatabaseFact]
    public async Task Retention_DropsWholeMonths_DeletesRowsOnlyInTheStraddlingOne_AndKeepsMonthsAnotherProductHolds()
    {
        await using var store = await OpenAsync(ConnectionString);
        await store.SaveProductAsync(_other.Record, default);
        await store.AddManifestAsync(new ManifestRecord(Other, 1, ManifestOf(Other), Some.Now), default);
        var times = new[] { new DateTimeOffset(2025, 12, 5, 0, 0, 0, TimeSpan.Zero), new(2026, 1, 10, 0, 0, 0, TimeSpan.Zero), new(2026, 2, 5, 0, 0, 0, TimeSpan.Zero), new(2026, 2, 20, 0, 0, 0, TimeSpan.Zero), Some.Now };
        await store.AppendAsync([.. times.SelectMany(t => Enumerable.Range(0, 3).Select(_ => Incoming(Some.Install(time: t))))], default);
        var othersJanuary = Incoming(Some.Install(time: new DateTimeOffset(2026, 1, 12, 0, 0, 0, TimeSpan.Zero)), _other);
        await store.AppendAsync([othersJanuary], default);

        var cutoff = new DateTimeOffset(2026, 2, 10, 0, 0, 0, TimeSpan.Zero);
        var deleted = await store.DeleteEventsBeforeAsync(Some.Product, cutoff, default);
        var rollups = await store.DeleteRollupsBeforeAsync(Some.Product, DateOnly.FromDateTime(cutoff.UtcDateTime), default);

        // December held this product only and went whole; January holds the other product's event and stays, with
        // this product's rows deleted from it; February straddles the cutoff and loses its rows before it.
        Assert.Equal(9, deleted);
        Assert.Equal(["events_2026_01", "events_2026_02", "events_2026_03", "events_2026_04", "events_2026_05"], await PartitionsAsync("events"));
        Assert.Equal(["rollup_events_2026_01", "rollup_events_2026_02", "rollup_events_2026_03", "rollup_events_2026_04", "rollup_events_2026_05"], await PartitionsAsync("rollup_events"));
        Assert.Equal(6, await store.CountRawEventsAsync(Some.Product, default));
        Assert.Equal(1, await store.CountRawEventsAsync(Other, default));
        Assert.True(rollups >= 9, $"{rollups} rollup rows deleted");
        var days = await store.CountEventsExactAsync(new EventFilter(Some.Product, January.AddMonths(-2), Today), Interval.Month, default);
        Assert.Equal([new PeriodCount(new(2026, 2, 1), 3, 3), new PeriodCount(new(2026, 3, 1), 3, 3)], days);
        var others = await store.CountEventsExactAsync(new EventFilter(Other, January, Today), Interval.Month, default);
        Assert.Equal([new PeriodCount(January, 1, 1)], others);

        // Once the other product's retention passes January too, the month goes whole.
        Assert.Equal(1, await store.DeleteEventsBeforeAsync(Other, cutoff, default));
        Assert.DoesNotContain("events_2026_01", await PartitionsAsync("events"));
    }

    [DatabaseFact]
    public async Task Compact_AfterRetention_RewritesOnlyThePartitionsRowsWereDeletedFrom()
    {
        await using var store = await OpenAsync(ConnectionString);
        var times = new[] { new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero), new(2026, 2, 5, 0, 0, 0, TimeSpan.Zero), new(2026, 2, 20, 0, 0, 0, TimeSpan.Zero), Some.Now };
        await store.AppendAsync([.. times.Select(t => Incoming(Some.Install(time: t)))], default);
        var cutoff = new DateTimeOffset(2026, 2, 10, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(2, await store.DeleteEventsBeforeAsync(Some.Product, cutoff, default));
        Assert.True(await store.DeleteRollupsBeforeAsync(Some.Product, DateOnly.FromDateTime(cutoff.UtcDateTime), default) > 0);
        var partitions = new[] { "events_2026_02", "events_2026_03", "rollup_events_2026_02", "rollup_events_2026_03", "install_verifiers" };
        var before = await FilesAsync(partitions);

        Assert.True(await store.CompactErasedAsync(TimeSpan.Zero, default));

        var after = await FilesAsync(partitions);
        Assert.NotEqual(before["events_2026_02"], after["events_2026_02"]);
        Assert.NotEqual(before["rollup_events_2026_02"], after["rollup_events_2026_02"]);
        Assert.NotEqual(before["install_verifiers"], after["install_verifiers"]);
        Assert.Equal(before["events_2026_03"], after["events_2026_03"]);
        Assert.Equal(before["rollup_events_2026_03"], after["rollup_events_2026_03"]);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM erasures"));
        Assert.Equal(2, await store.CountRawEventsAsync(Some.Product, default));
    }

    [DatabaseFact]
    public async Task Append_IntoAMonthAnotherCollectorDropped_MakesItAgain()
    {
        await using var writer = await OpenAsync(ConnectionString);
        await using var retention = await OpenAsync(ConnectionString);
        var december = new DateTimeOffset(2025, 12, 5, 0, 0, 0, TimeSpan.Zero);
        await writer.AppendAsync([Incoming(Some.Install(time: december))], default);
        Assert.Equal(1, await retention.DeleteEventsBeforeAsync(Some.Product, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), default));
        Assert.DoesNotContain("events_2025_12", await PartitionsAsync("events"));

        Assert.Equal([AppendOutcome.Stored], await writer.AppendAsync([Incoming(Some.Install(time: december.AddDays(1)))], default));

        Assert.Equal(1, await writer.CountRawEventsAsync(Some.Product, default));
        Assert.Contains("events_2025_12", await PartitionsAsync("events"));
    }

    private async Task<List<string>> PartitionsAsync(string table)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return [.. (await PostgresPartitions.ListAsync(connection, null, table, default)).Select(p => p.Name)];
    }

    // Which file each relation is kept in now: a rewrite gives it a new one.
    private async Task<Dictionary<string, long>> FilesAsync(string[] relations)
    {
        var files = new Dictionary<string, long>();
        foreach (var relation in relations)
        {
            files[relation] = Convert.ToInt64(await ScalarAsync<object>($"SELECT relfilenode FROM pg_class WHERE oid = to_regclass('{relation}')"), System.Globalization.CultureInfo.InvariantCulture);
        }

        return files;
    }
}
