using System.Collections.Immutable;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Manifest;
using Candor.Protocol;
using Microsoft.Extensions.Time.Testing;

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

    // An event as ingestion makes it, validated against the database's clock rather than the tests' fixed one.
    private static IncomingEvent At(DateTimeOffset now, WireEvent wire)
    {
        var (incoming, refusal) = new EventValidator(new FakeTimeProvider(now)).Validate(wire, Catalogued, "", TimeSpan.FromDays(1));
        Assert.Null(refusal);
        return incoming!;
    }
}
