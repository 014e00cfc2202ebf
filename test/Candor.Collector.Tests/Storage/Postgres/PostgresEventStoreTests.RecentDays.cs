using System.Collections.Immutable;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Postgres;
using Candor.Manifest;
using Candor.Protocol;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

// The newest two days are not kept in the database while they change: a collector builds the parts its queries
// read from their rows and holds them for the day's version and stamp. Today's events give today no new version,
// so these tests check that what one collector holds never hides what another collector on the same database
// stored or deleted since.
public partial class PostgresEventStoreTests
{
    private static readonly CatalogProduct Catalogued = new(
        new ProductRecord(Some.Product, 14, 5, Some.Now),
        ImmutableSortedDictionary<int, TelemetryManifest>.Empty.Add(1, TelemetryManifest.Parse(Some.ManifestJson)));

    [DatabaseFact]
    public async Task RecentDays_HeldParts_SeeAnotherCollectorsEventsAndDeletionsAtOnce()
    {
        await using var other = new PostgresEventStore(Options);
        await other.InitializeAsync(default);
        // The database's clock says which days are today and yesterday.
        var now = new DateTimeOffset(await ScalarAsync<DateTime>("SELECT now()"), TimeSpan.Zero);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        await Store.AppendAsync([At(now, Some.Install(alice, now, packages: ["zlib"])), At(now, Some.Install(alice, now.AddDays(-1), packages: ["zlib"]))], default);
        var filter = new EventFilter(Some.Product, today.AddDays(-1), today, Event: "install");
        var linux = filter with { Os = "linux" };

        // Each kind of part of both days is built and held: the totals, a property's and the contexts part.
        Assert.Equal([new(today.AddDays(-1), 1, 1), new PeriodCount(today, 1, 1)], await Store.CountEventsExactAsync(filter, Interval.Day, default));
        Assert.Equal([new GroupCount("zlib", 2, 1)], await Store.CountByPropertyExactAsync(filter, "packages", default));
        Assert.Equal([new PeriodCount(today.AddDays(-1), 2, 1)], await Store.CountEventsExactAsync(linux, Interval.Total, default));

        // Today's event writes no version; yesterday's does.
        await other.AppendAsync([At(now, Some.Install(bob, now, packages: ["openssl"])), At(now, Some.Install(bob, now.AddDays(-1), packages: ["zlib"]))], default);

        Assert.Equal([new(today.AddDays(-1), 2, 2), new PeriodCount(today, 2, 2)], await Store.CountEventsExactAsync(filter, Interval.Day, default));
        Assert.Equal([new GroupCount("zlib", 3, 2), new GroupCount("openssl", 1, 1)], await Store.CountByPropertyExactAsync(filter, "packages", default));
        Assert.Equal([new PeriodCount(today.AddDays(-1), 4, 2)], await Store.CountEventsExactAsync(linux, Interval.Total, default));

        await other.DeleteInstallAsync(Some.Product, alice, default);

        Assert.Equal([new(today.AddDays(-1), 1, 1), new PeriodCount(today, 1, 1)], await Store.CountEventsExactAsync(filter, Interval.Day, default));
        Assert.Equal([new GroupCount("openssl", 1, 1), new GroupCount("zlib", 1, 1)], await Store.CountByPropertyExactAsync(filter, "packages", default));
        Assert.Equal([new PeriodCount(today.AddDays(-1), 2, 1)], await Store.CountEventsExactAsync(linux, Interval.Total, default));
    }

    [DatabaseFact]
    public async Task RecentDays_OwnCommits_AreFoldedIntoHeldParts_WithoutReadingTheDaysAgain()
    {
        var now = new DateTimeOffset(await ScalarAsync<DateTime>("SELECT now()"), TimeSpan.Zero);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        await Store.AppendAsync([At(now, Some.Install(alice, now, packages: ["zlib"])), At(now, Some.Install(alice, now.AddDays(-1), packages: ["zlib"]))], default);
        var filter = new EventFilter(Some.Product, today.AddDays(-1), today, Event: "install");
        Assert.Equal([new GroupCount("zlib", 2, 1)], await Store.CountByPropertyExactAsync(filter, "packages", default));

        // The property rows are made wrong behind the collector's back (their counts are no part of the stamp): only
        // a query that reads the days' rows again would count them.
        await RaiseEveryValueAsync(100);
        await Store.AppendAsync([At(now, Some.Install(bob, now, packages: ["openssl"])), At(now, Some.Install(bob, now.AddDays(-1), packages: ["zlib"]))], default);

        Assert.Equal([new GroupCount("zlib", 3, 2), new GroupCount("openssl", 1, 1)], await Store.CountByPropertyExactAsync(filter, "packages", default));
        Assert.Equal([new(today.AddDays(-1), 2, 2), new PeriodCount(today, 2, 2)], await Store.CountEventsExactAsync(filter, Interval.Day, default));

        // Another collector's event is not this collector's to fold: its day is read again, wrong rows and all.
        await using var other = new PostgresEventStore(Options);
        await other.InitializeAsync(default);
        await other.AppendAsync([At(now, Some.Install(bob, now, packages: ["zlib"]))], default);
        Assert.Equal([new GroupCount("zlib", 101 + 1 + 2, 2), new GroupCount("openssl", 1, 1)], await Store.CountByPropertyExactAsync(filter, "packages", default));
    }

    [DatabaseFact]
    public async Task RecentDays_FoldedParts_AreTheBytesABuildFromTheRowsMakes()
    {
        var now = new DateTimeOffset(await ScalarAsync<DateTime>("SELECT now()"), TimeSpan.Zero);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var installs = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToArray();
        var store = (PostgresEventStore)Store;
        var filter = new EventFilter(Some.Product, today.AddDays(-1), today);

        // Every kind of part of both days is read once, then held and added to by commits of this collector: repeats
        // of one install (its rows' counts, which the tops bound, grow), new installs, other contexts, names, values
        // and durations, on both days.
        await Store.AppendAsync([At(now, Some.Install(installs[0], now, packages: ["zlib"]))], default);
        await ReadEveryPartAsync();
        for (var round = 0; round < 4; round++)
        {
            var batch = new List<IncomingEvent>();
            for (var i = 0; i <= round; i++)
            {
                var time = i % 2 == 0 ? now.AddMinutes(-i) : now.AddDays(-1).AddMinutes(i);
                var install = Some.Install(installs[i], time, packages: i % 2 == 0 ? ["zlib", "openssl"] : ["0123456789abcdef0123456789abcdef"], buildTime: 100 * (i + 1));
                install.Context.Os = i == 3 ? "windows" : "linux";
                batch.Add(At(now, install));
                batch.Add(At(now, Some.Failed(installs[round], time, packages: ["zlib"])));
            }

            await Store.AppendAsync(batch, default);
        }

        await ReadEveryPartAsync();
        var product = await ScalarAsync<int>($"SELECT id FROM products WHERE name = '{Some.Product}'");
        await using var source = NpgsqlDataSource.Create(_connectionString);
        var compared = 0;
        foreach (var day in await PostgresDayRollups.BuildAsync(source, source, product, [today.AddDays(-1), today], null, default))
        {
            foreach (var (name, part, data) in day.Parts)
            {
                // Held at the day's version and stamp as the database has them now, so folded, not built again.
                if (store.RecentDays.TryFind(product, day.Day, day.Version, day.Stamp, name, part, out var held))
                {
                    Assert.Equal(data, held);
                    compared++;
                }
            }
        }

        Assert.True(compared >= 12, $"{compared} parts compared");

        async Task ReadEveryPartAsync()
        {
            await Store.CountEventsExactAsync(filter, Interval.Day, default);
            await Store.CountEventsExactAsync(filter with { Os = "linux" }, Interval.Day, default);
            foreach (var name in new[] { "install", "install-failed" })
            {
                await Store.CountEventsExactAsync(filter with { Event = name }, Interval.Day, default);
                await Store.CountByPropertyExactAsync(filter with { Event = name }, "packages", default);
                await Store.CountByPropertyExactAsync(filter with { Event = name, Os = "linux" }, "packages", default);
                await Store.GetDurationHistogramAsync(filter with { Event = name }, "buildTime", Interval.Total, default);
            }
        }
    }

    [DatabaseFact]
    public async Task RecentDays_AreBuiltAtStart_AndTakeTheCollectorsCommitsIn()
    {
        var now = new DateTimeOffset(await ScalarAsync<DateTime>("SELECT now()"), TimeSpan.Zero);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        await Store.AppendAsync([At(now, Some.Install(alice, now, packages: ["zlib"])), At(now, Some.Install(alice, now.AddDays(-1), packages: ["zlib"]))], default);

        await using var started = new PostgresEventStore(Options);
        await started.InitializeAsync(default);
        await started.Warming;

        // Rows made wrong after the start (see above) are not read: the days were built before, and this collector's
        // own event is folded in.
        await RaiseEveryValueAsync(100);
        await started.AppendAsync([At(now, Some.Install(bob, now, packages: ["zlib"]))], default);
        var filter = new EventFilter(Some.Product, today.AddDays(-1), today, Event: "install");
        Assert.Equal([new GroupCount("zlib", 3, 2)], await started.CountByPropertyExactAsync(filter, "packages", default));
        Assert.Equal([new(today.AddDays(-1), 1, 1), new PeriodCount(today, 2, 2)], await started.CountEventsExactAsync(filter with { Os = "linux" }, Interval.Day, default));
    }

    [DatabaseFact]
    public async Task RecentDays_BuiltWhileTheCollectorCommits_TakeEveryCommitInOnce()
    {
        var now = new DateTimeOffset(await ScalarAsync<DateTime>("SELECT now()"), TimeSpan.Zero);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var installs = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToArray();
        IncomingEvent Event(int i) => At(now, Some.Install(installs[i % installs.Length], i % 3 == 0 ? now.AddDays(-1).AddMinutes(i % 50) : now.AddMinutes(-(i % 50)), packages: i % 2 == 0 ? ["zlib"] : ["openssl"]));
        await Store.AppendAsync([.. Enumerable.Range(0, 200).Select(Event)], default);

        // The warm-up's build runs while commits of its own collector end, some seen by its snapshot, some not.
        await using var started = new PostgresEventStore(Options);
        await started.InitializeAsync(default);
        var batch = 1;
        do
        {
            await Task.WhenAll(started.AppendAsync([.. Enumerable.Range(batch++ * 200, 100).Select(Event)], default), started.AppendAsync([.. Enumerable.Range(batch++ * 200, 100).Select(Event)], default));
        }
        while (!started.Warming.IsCompleted);

        await started.AppendAsync([.. Enumerable.Range(batch * 200, 200).Select(Event)], default);

        var product = await ScalarAsync<int>($"SELECT id FROM products WHERE name = '{Some.Product}'");
        await using var source = NpgsqlDataSource.Create(_connectionString);
        var compared = 0;
        foreach (var day in await PostgresDayRollups.BuildAsync(source, source, product, [today.AddDays(-1), today], null, default))
        {
            foreach (var (name, part, data) in day.Parts)
            {
                Assert.True(started.RecentDays.TryFind(product, day.Day, day.Version, day.Stamp, name, part, out var held), $"part {part} of name {name} on {day.Day} is held");
                Assert.Equal(data, held);
                compared++;
            }
        }

        Assert.True(compared >= 10, $"{compared} parts compared");
    }

    // An event as ingestion makes it, validated against the database's clock rather than the tests' fixed one.
    private static IncomingEvent At(DateTimeOffset now, WireEvent wire)
    {
        var (incoming, refusal) = new EventValidator(new FakeTimeProvider(now)).Validate(wire, Catalogued, "", TimeSpan.FromDays(1));
        Assert.Null(refusal);
        return incoming!;
    }

    // Every property value's count in the rollup rows raised by `by`, behind the collectors' back: the values are
    // packed in each row's summary, which SQL cannot edit.
    private async Task RaiseEveryValueAsync(long by)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var raised = new List<(string Relation, string Row, byte[]? Summary)>();
        await using (var read = new NpgsqlCommand("SELECT tableoid::regclass::text, ctid::text, summary FROM rollup_events WHERE summary IS NOT NULL", connection))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var summary = new RollupSummary();
                var values = RollupSummary.Values(reader.GetFieldValue<byte[]>(2), -1);
                while (values.MoveNext())
                {
                    summary.AddValue(values.Field, values.Current.Key, values.Current.N + by);
                }

                raised.Add((reader.GetString(0), reader.GetString(1), summary.Encode()));
            }
        }

        foreach (var (relation, row, summary) in raised)
        {
            await using var write = new NpgsqlCommand($"UPDATE {relation} SET summary = @summary WHERE ctid = @row::tid", connection);
            write.Parameters.AddWithValue("summary", summary!);
            write.Parameters.AddWithValue("row", row);
            await write.ExecuteNonQueryAsync();
        }
    }
}
