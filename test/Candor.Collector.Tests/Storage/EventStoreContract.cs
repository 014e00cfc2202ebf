using System.Collections.Immutable;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;
using Candor.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Collector.Tests.Storage;

/// <summary>
/// What every <see cref="IEventStore"/> must do. A store's test class derives from this and says how to make a
/// fresh, initialised store: <see cref="SqliteEventStoreTests"/> and <see cref="Postgres.PostgresEventStoreTests"/>.
/// The tests are <see cref="DatabaseFactAttribute"/>s, so the PostgreSQL run is skipped (outside CI) where no server answers.
/// </summary>
public abstract class EventStoreContract : IAsyncLifetime
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(Some.Now.UtcDateTime);

    private readonly CatalogProduct _product = new(
        new ProductRecord(Some.Product, 14, 5, Some.Now),
        ImmutableSortedDictionary<int, TelemetryManifest>.Empty.Add(1, TelemetryManifest.Parse(Some.ManifestJson)));

    private IEventStore? _store;

    private protected IEventStore Store => _store!;

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await Store.SaveProductAsync(_product.Record, default);
        await Store.AddManifestAsync(new ManifestRecord(Some.Product, 1, Some.ManifestJson, Some.Now), default);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await DeleteStoreAsync();
    }

    /// <summary>A new, empty, initialised store.</summary>
    private protected abstract Task<IEventStore> CreateStoreAsync();

    /// <summary>Removes whatever <see cref="CreateStoreAsync"/> made.</summary>
    private protected abstract Task DeleteStoreAsync();

    [DatabaseFact]
    public async Task Append_NewAndRepeatedIds_StoresOnceAndReportsDuplicates()
    {
        var a = Incoming(Some.Install());
        var b = Incoming(Some.Install());

        var first = await Store.AppendAsync([a, b, a], default);
        var second = await Store.AppendAsync([b], default);

        Assert.Equal([AppendOutcome.Stored, AppendOutcome.Stored, AppendOutcome.Duplicate], first);
        Assert.Equal([AppendOutcome.Duplicate], second);
        Assert.Equal(2, await Store.CountRawEventsAsync(Some.Product, default));
    }

    [DatabaseFact]
    public async Task Append_ManyConcurrentCallers_AllCommitted()
    {
        var batches = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 25).Select(_ => Incoming(Some.Install())).ToList()).ToList();

        var outcomes = await Task.WhenAll(batches.Select(b => Task.Run(() => Store.AppendAsync(b, default))));

        Assert.All(outcomes.SelectMany(o => o), o => Assert.Equal(AppendOutcome.Stored, o));
        Assert.Equal(1000, await Store.CountRawEventsAsync(Some.Product, default));
        Assert.Equal(0, Store.Backlog);
        // Nothing queued and nothing in hand: a batch arriving now waits for nobody.
        await TestCollector.EventuallyAsync(() => Task.FromResult(Store.EstimatedWait == TimeSpan.Zero), "the writer to put its work down");
    }

    [DatabaseFact]
    public async Task ReadRaw_DecodesEveryKindAsSent()
    {
        var wire = Some.Install(packages: ["openssl", "0123456789abcdef0123456789abcdef"], buildTime: 1234.5);
        wire.Context.Ci = "github-actions";
        await Store.AppendAsync([Incoming(wire, country: "NZ"), Incoming(Some.Crash("System.IO.IOException at Sample.Cli.Run"))], default);

        var raw = await Store.ReadRawAsync(new EventFilter(Some.Product, Today, Today), 10, default);

        var e = Assert.Single(raw, r => r.Id == wire.Id);
        Assert.Equal(("install", 1, wire.Install), (e.Name, e.Revision, e.Install));
        Assert.Equal(wire.Time.ToUnixTimeMilliseconds(), e.Time.ToUnixTimeMilliseconds());
        Assert.Equal(new EventContext("1.4.0", "linux", "ubuntu 22.04", "x64", "8.0.11", "github-actions", "process", false, false, true, "NZ"), e.Context);
        Assert.Equal("x64-linux", e.Properties["triplet"]);
        Assert.Equal(new[] { "openssl", "0123456789abcdef0123456789abcdef" }, e.Properties["packages"]);
        Assert.Equal("1000-100000", e.Properties["size"]);
        Assert.Equal("fedcba9876543210fedcba9876543210", e.Properties["dataset"]);
        Assert.Equal("13.2.0", e.Properties["toolVersion"]);
        Assert.Equal(true, e.Properties["cached"]);
        Assert.Equal(1234.5, e.Measurements["buildTime"]);
        Assert.Equal(2, e.Measurements["retries"]);
        Assert.Equal("System.IO.IOException at Sample.Cli.Run", Assert.Single(raw, r => r.Name == "crash").Properties["stack"]);
    }

    [DatabaseFact]
    public async Task Append_LongestStackSignature_IsStoredCountedAndReadBack()
    {
        // As long as a signature may be, and as incompressible as frames get (an index cannot hold such a value whole).
        var frames = Enumerable.Range(0, StackGrammar.MaxFrames).Select(_ => $"Sample.Cli.F{Guid.NewGuid():N}{Guid.NewGuid():N}");
        var signature = StackGrammar.Compose(["System.IO.IOException"], frames)!;
        Assert.InRange(signature.Length, EventValidator.MaxStackLength - 80, EventValidator.MaxStackLength);
        var crash = Some.Crash(signature);

        await Store.AppendAsync([Incoming(crash), Incoming(Some.Crash(signature))], default);

        var filter = new EventFilter(Some.Product, Today, Today, Event: "crash");
        Assert.Equal([new GroupCount(signature, 2, 2)], await Store.CountByPropertyExactAsync(filter, "stack", default));
        Assert.Equal(signature, (await Store.ReadRawAsync(filter, 1, default)).Single().Properties["stack"]);
    }

    [DatabaseFact]
    public async Task ReadRaw_Limit_TakesTheFirstEventsTheFilterMatches_InTimeOrder()
    {
        // An event a minute, sent newest first; only installs of version 1.4.0 match (every third minute is a crash,
        // some installs are of another version), so a limit taken before the filter would return too few or others.
        var sent = new List<(WireEvent Wire, bool Matches)>();
        for (var minute = 40; minute >= 1; minute--)
        {
            var time = Some.Now.AddMinutes(-minute);
            var wire = minute % 3 == 0 ? Some.Crash("System.IO.IOException at Sample.Cli.Run", time: time) : Some.Install(time: time);
            if (minute % 6 == 1)
            {
                wire.Context.Version = "2.0.0";
            }

            sent.Add((wire, wire.Name == "install" && wire.Context.Version == "1.4.0"));
        }

        sent.Reverse();
        await Store.AppendAsync([.. sent.Select(s => Incoming(s.Wire))], default);
        var filter = new EventFilter(Some.Product, Today, Today, Event: "install", Version: "1.4.0");

        var raw = await Store.ReadRawAsync(filter, 5, default);

        var expected = sent.Where(s => s.Matches).OrderBy(s => s.Wire.Time).Take(5).Select(s => s.Wire.Id);
        Assert.Equal(expected, raw.Select(r => r.Id));
        Assert.All(raw, r => Assert.Equal("1.4.0", r.Context.Version));
    }

    [DatabaseFact]
    public async Task CountEvents_PerDayWeekAndMonth_CountsEventsAndDistinctInstalls()
    {
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var monday = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        await Store.AppendAsync(
        [
            Incoming(Some.Install(alice, monday)), Incoming(Some.Install(alice, monday)), Incoming(Some.Install(bob, monday)),
            Incoming(Some.Install(alice, monday.AddDays(1))),
            Incoming(Some.Install(bob, monday.AddDays(7))),
            Incoming(Some.Failed(bob, monday.AddDays(-2))),
        ], default);
        var filter = new EventFilter(Some.Product, new(2026, 2, 1), new(2026, 3, 31), Event: "install");

        var days = await Store.CountEventsExactAsync(filter, Interval.Day, default);
        var weeks = await Store.CountEventsExactAsync(filter, Interval.Week, default);
        var months = await Store.CountEventsExactAsync(filter with { Event = null }, Interval.Month, default);
        var total = await Store.CountEventsExactAsync(filter with { Event = null }, Interval.Total, default);

        Assert.Equal([new(new(2026, 3, 2), 3, 2), new(new(2026, 3, 3), 1, 1), new(new(2026, 3, 9), 1, 1)], days);
        Assert.Equal([new(new(2026, 3, 2), 4, 2), new(new(2026, 3, 9), 1, 1)], weeks);
        Assert.Equal([new(new(2026, 2, 1), 1, 1), new(new(2026, 3, 1), 5, 2)], months);
        Assert.Equal([new PeriodCount(new(2026, 2, 1), 6, 2)], total);
    }

    [DatabaseFact]
    public async Task Counts_FingerprintTheSetOfInstalls_HoweverTheyAreAskedFor()
    {
        var (alice, bob, carol) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await Store.AppendAsync(
        [
            Incoming(Some.Install(alice, Some.Now.AddDays(-1), packages: ["zlib"])), Incoming(Some.Install(bob, Some.Now.AddDays(-1), packages: ["zlib"])),
            Incoming(Some.Install(alice, packages: ["zlib"])), Incoming(Some.Install(carol, packages: ["openssl"])),
        ], default);
        var both = new EventFilter(Some.Product, Today.AddDays(-1), Today, Event: "install");

        var everyone = Assert.Single(await Store.CountEventsAsync(both, Interval.Total, default));
        var days = await Store.CountEventsAsync(both, Interval.Day, default);
        var onLinux = Assert.Single(await Store.CountEventsAsync(both with { Os = "linux" }, Interval.Total, default));
        var byOs = Assert.Single(await Store.CountByContextAsync(both, ContextDimension.Os, default));
        var zlibYesterday = (await Store.CountByPropertyAsync(both with { To = Today.AddDays(-1) }, "packages", default)).Single(g => g.Value == "zlib");
        var aliceAndCarol = (await Store.CountByPropertyAsync(both with { From = Today }, "triplet", default)).Single();

        Assert.NotEqual(0, everyone.Fingerprint);
        Assert.Equal(everyone.Fingerprint, onLinux.Fingerprint);
        Assert.Equal(everyone.Fingerprint, byOs.Fingerprint);
        Assert.Equal(days[0].Fingerprint, zlibYesterday.Fingerprint);
        Assert.Equal(days[1].Fingerprint, aliceAndCarol.Fingerprint);
        Assert.Equal(3, new[] { everyone.Fingerprint, days[0].Fingerprint, days[1].Fingerprint }.Distinct().Count());
    }

    [DatabaseFact]
    public async Task Counts_BoundOneInstallsEvents_ByTheLargestCountOfEachDay()
    {
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var yesterday = Some.Now.AddDays(-1);
        await Store.AppendAsync(
        [
            .. Enumerable.Range(0, 3).Select(_ => Incoming(Some.Install(alice, yesterday, packages: ["zlib"]))), Incoming(Some.Crash("System.Exception at Sample.Cli.Fail", alice, yesterday)),
            Incoming(Some.Install(bob, yesterday, packages: ["zlib"])),
            Incoming(Some.Install(alice, packages: ["zlib"])), .. Enumerable.Range(0, 2).Select(_ => Incoming(Some.Install(bob, packages: ["zlib"]))),
        ], default);
        var installs = new EventFilter(Some.Product, Today.AddDays(-1), Today, Event: "install");

        Assert.Equal([3L, 2L], (await Store.CountEventsAsync(installs, Interval.Day, default)).Select(d => d.Heaviest));
        Assert.Equal(5, Assert.Single(await Store.CountEventsAsync(installs, Interval.Total, default)).Heaviest);
        Assert.Equal(6, Assert.Single(await Store.CountEventsAsync(installs with { Event = null }, Interval.Total, default)).Heaviest);
        Assert.Equal(5, Assert.Single(await Store.CountByPropertyAsync(installs, "packages", default)).Heaviest);
        Assert.Equal(5, Assert.Single(await Store.CountByContextAsync(installs with { Os = "linux" }, ContextDimension.Version, default)).Heaviest);
    }

    [DatabaseFact]
    public async Task Secret_IsMadeOnce_AndTheSameForEveryAsker()
    {
        var first = await Store.GetSecretAsync("figure-noise", default);
        var again = await Store.GetSecretAsync("figure-noise", default);
        var other = await Store.GetSecretAsync("another", default);

        Assert.Equal(32, first.Length);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [DatabaseFact]
    public async Task CountEvents_Filters_ByVersionOsCiAndRange()
    {
        var windows = Some.Install();
        windows.Context.Os = "windows";
        var ci = Some.Install();
        ci.Context.Ci = "github-actions";
        var old = Some.Install();
        old.Context.Version = "1.3.0";
        var earlier = Some.Install(time: Some.Now.AddDays(-3));
        await Store.AppendAsync([Incoming(windows), Incoming(ci), Incoming(old), Incoming(earlier), Incoming(Some.Install())], default);
        var today = new EventFilter(Some.Product, Today, Today);

        async Task<long> Count(EventFilter f) => (await Store.CountEventsExactAsync(f, Interval.Total, default)).Sum(r => r.Events);

        Assert.Equal(4, await Count(today));
        Assert.Equal(5, await Count(today with { From = Today.AddDays(-3) }));
        Assert.Equal(1, await Count(today with { Os = "windows" }));
        Assert.Equal(1, await Count(today with { Version = "1.3.0" }));
        Assert.Equal(1, await Count(today with { Ci = true }));
        Assert.Equal(3, await Count(today with { Ci = false }));
        Assert.Equal(0, await Count(today with { Version = "9.9.9" }));
    }

    [DatabaseFact]
    public async Task CountByProperty_CountsEachListItemAndDistinctInstalls()
    {
        var alice = Guid.NewGuid();
        await Store.AppendAsync(
        [
            Incoming(Some.Install(alice, packages: ["zlib", "openssl"])),
            Incoming(Some.Install(alice, packages: ["zlib"])),
            Incoming(Some.Install(packages: ["zlib"], triplet: "arm64-osx")),
        ], default);
        var filter = new EventFilter(Some.Product, Today, Today, Event: "install");

        var packages = await Store.CountByPropertyExactAsync(filter, "packages", default);
        var triplets = await Store.CountByPropertyExactAsync(filter, "triplet", default);
        var cached = await Store.CountByPropertyExactAsync(filter, "cached", default);

        Assert.Equal([new("zlib", 3, 2), new("openssl", 1, 1)], packages);
        Assert.Equal([new("x64-linux", 2, 1), new("arm64-osx", 1, 1)], triplets);
        Assert.Equal([new("true", 3, 2)], cached);
    }

    [DatabaseFact]
    public async Task CountByContext_GroupsByVersionOsRuntimeAndCountry()
    {
        var older = Some.Install();
        older.Context.Version = "1.3.0";
        older.Context.Runtime = "9.0.1";
        await Store.AppendAsync([Incoming(older, "DE"), Incoming(Some.Install(), "NZ"), Incoming(Some.Install(), "NZ")], default);
        var filter = new EventFilter(Some.Product, Today, Today);

        Assert.Equal([new("1.4.0", 2, 2), new("1.3.0", 1, 1)], await Store.CountByContextExactAsync(filter, ContextDimension.Version, default));
        Assert.Equal([new("linux", 3, 3)], await Store.CountByContextExactAsync(filter, ContextDimension.Os, default));
        Assert.Equal([new("8.0.11", 2, 2), new("9.0.1", 1, 1)], await Store.CountByContextExactAsync(filter, ContextDimension.Runtime, default));
        Assert.Equal([new("NZ", 2, 2), new("DE", 1, 1)], await Store.CountByContextExactAsync(filter, ContextDimension.Country, default));
    }

    [DatabaseFact]
    public async Task CountByContext_GroupsByContainerAndCiVendor()
    {
        var container = Some.Install();
        container.Context.Container = true;
        var ci = Some.Install();
        ci.Context.Ci = "github-actions";
        await Store.AppendAsync([Incoming(container), Incoming(ci), Incoming(Some.Install()), Incoming(Some.Install())], default);
        var filter = new EventFilter(Some.Product, Today, Today);

        Assert.Equal([new("false", 3, 3), new("true", 1, 1)], await Store.CountByContextExactAsync(filter, ContextDimension.Container, default));
        Assert.Equal([new("", 3, 3), new("github-actions", 1, 1)], await Store.CountByContextExactAsync(filter, ContextDimension.Ci, default));
    }

    [DatabaseFact]
    public async Task DurationHistogram_GivesPercentilesWithinOnePercent()
    {
        var durations = Enumerable.Range(1, 200).Select(i => i * 37.0).ToArray();
        await Store.AppendAsync([.. durations.Select(d => Incoming(Some.Install(buildTime: d)))], default);

        var histogram = await Store.GetDurationHistogramAsync(new EventFilter(Some.Product, Today, Today, Event: "install"), "buildTime", Interval.Total, default);

        var buckets = histogram.Select(h => (h.Bucket, h.Count)).ToList();
        Assert.Equal(200, buckets.Sum(b => b.Count));
        foreach (var (p, exact) in new[] { (0.5, durations[99]), (0.9, durations[179]), (0.99, durations[197]) })
        {
            var estimate = DurationHistogram.Percentile(buckets, 200, p);
            Assert.InRange(estimate, exact * 0.99, exact * 1.01);
        }
    }

    [DatabaseFact]
    public async Task Count_Batch_AnswersEachQueryAsItsSingleMethodDoes()
    {
        // Days that are kept as day rollups and the newest two that are built per query, values, contexts and durations.
        var events = new List<IncomingEvent>();
        var installs = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToList();
        for (var day = 0; day < 9; day++)
        {
            for (var i = 0; i <= day % 4 + 1; i++)
            {
                var wire = Some.Install(installs[(day + i) % installs.Count], Some.Now.AddDays(-day), packages: i % 2 == 0 ? ["zlib", "openssl"] : ["zlib"], buildTime: 100 + (day * 37) + i);
                wire.Context.Version = i % 3 == 0 ? "1.3.0" : "1.4.0";
                wire.Context.Ci = day % 2 == 0 ? "github-actions" : null;
                wire.Context.Container = i == 1;
                events.Add(Incoming(wire, i % 2 == 0 ? "NZ" : "DE"));
            }

            events.Add(Incoming(Some.Crash($"System.IO.IOException at Sample.Cli.F{day % 2}", installs[day % installs.Count], Some.Now.AddDays(-day))));
        }

        await Store.AppendAsync(events, default);
        var range = new EventFilter(Some.Product, Today.AddDays(-8), Today);
        var filters = new[]
        {
            range, range with { Event = "install" }, range with { Version = "1.4.0" }, range with { Ci = false, Event = "install" },
            range with { Os = "linux", Version = "1.3.0" }, range with { From = Today.AddDays(-3) }, range with { Event = "crash", Ci = true },
        };
        var queries = new List<RollupQuery>();
        foreach (var filter in filters)
        {
            queries.AddRange(
            [
                RollupQuery.Events(filter, Interval.Day), RollupQuery.Events(filter, Interval.Week), RollupQuery.Events(filter, Interval.Month), RollupQuery.Events(filter, Interval.Total),
                RollupQuery.ByProperty(filter, "packages"), RollupQuery.ByProperty(filter, "triplet"), RollupQuery.ByProperty(filter, "stack"), RollupQuery.ByProperty(filter, "undeclared"),
                RollupQuery.ByContext(filter, ContextDimension.Version), RollupQuery.ByContext(filter, ContextDimension.Container), RollupQuery.ByContext(filter, ContextDimension.Ci),
                RollupQuery.ByContext(filter, ContextDimension.Country), RollupQuery.Histogram(filter, "buildTime", Interval.Day), RollupQuery.Histogram(filter, "buildTime", Interval.Total),
            ]);
        }

        // Asked twice: before the older days are kept, and after (from the kept day rollups).
        for (var pass = 0; pass < 2; pass++)
        {
            var answers = await Store.CountAsync(queries, default);

            Assert.Equal(queries.Count, answers.Count);
            for (var i = 0; i < queries.Count; i++)
            {
                var (query, answer) = (queries[i], answers[i]);
                switch (query.Kind)
                {
                    case RollupQueryKind.Events:
                        Assert.Equal(await Store.CountEventsAsync(query.Filter, query.Interval, default), answer.PeriodRows);
                        break;
                    case RollupQueryKind.ByProperty:
                        Assert.Equal(await Store.CountByPropertyAsync(query.Filter, query.Field!, default), answer.GroupRows);
                        break;
                    case RollupQueryKind.ByContext:
                        Assert.Equal(await Store.CountByContextAsync(query.Filter, query.Dimension, default), answer.GroupRows);
                        break;
                    default:
                        Assert.Equal(await Store.GetDurationHistogramAsync(query.Filter, query.Field!, query.Interval, default), answer.HistogramRows);
                        break;
                }
            }

            Assert.NotEmpty(answers[0].PeriodRows);
            Assert.Contains(answers, a => a.GroupRows.Count > 1);
            Assert.Contains(answers, a => a.HistogramRows.Count > 1);
        }
    }

    [DatabaseFact]
    public async Task Counts_OfADayThatGotALateEvent_AfterItsDayRollupWasBuilt_CountTheLateEvent()
    {
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var old = Some.Now.AddDays(-10);
        var day = new EventFilter(Some.Product, Today.AddDays(-10), Today.AddDays(-10));
        await Store.AppendAsync([Incoming(Some.Install(alice, old, packages: ["zlib"])), Incoming(Some.Install())], default);
        await Store.PrepareDayRollupsAsync(Some.Product, Today.AddDays(-30), Today, default);
        var before = Assert.Single(await Store.CountEventsAsync(day, Interval.Total, default));

        await Store.AppendAsync([Incoming(Some.Install(bob, old.AddHours(1), packages: ["openssl"]))], default);

        Assert.Equal((1, 1), (before.Events, before.Installs));
        var after = Assert.Single(await Store.CountEventsAsync(day, Interval.Total, default));
        Assert.Equal((2, 2), (after.Events, after.Installs));
        Assert.Equal(["openssl", "zlib"], (await Store.CountByPropertyAsync(day, "packages", default)).Select(g => g.Value).Order());
        Assert.Equal(2, Assert.Single(await Store.CountByContextAsync(day with { Os = "linux" }, ContextDimension.Version, default)).Events);
    }

    [DatabaseFact]
    public async Task Counts_OfADayWhoseInstallWasDeleted_AfterItsDayRollupWasBuilt_LeaveTheInstallOut()
    {
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var old = Some.Now.AddDays(-10);
        var day = new EventFilter(Some.Product, Today.AddDays(-10), Today.AddDays(-10));
        await Store.AppendAsync(
        [
            Incoming(Some.Install(alice, old, packages: ["zlib"])), Incoming(Some.Install(alice, old, packages: ["zlib"])),
            Incoming(Some.Install(bob, old, packages: ["openssl"])), Incoming(Some.Install()),
        ], default);
        await Store.PrepareDayRollupsAsync(Some.Product, Today.AddDays(-30), Today, default);
        var before = Assert.Single(await Store.CountEventsAsync(day, Interval.Total, default));

        await Store.DeleteInstallAsync(Some.Product, alice, default);

        Assert.Equal((3, 2), (before.Events, before.Installs));
        var after = Assert.Single(await Store.CountEventsAsync(day, Interval.Total, default));
        Assert.Equal((1, 1), (after.Events, after.Installs));
        Assert.Equal(["openssl"], (await Store.CountByPropertyAsync(day, "packages", default)).Select(g => g.Value));
        Assert.Equal(1, Assert.Single(await Store.CountByContextAsync(day, ContextDimension.Os, default)).Events);
    }

    [DatabaseFact]
    public async Task DeleteInstall_RemovesItsEventsAndRollupRows_AndNothingElse()
    {
        var alice = Guid.NewGuid();
        await Store.AppendAsync([Incoming(Some.Install(alice)), Incoming(Some.Crash("System.Exception at Sample.Cli.Fail", alice)), Incoming(Some.Install())], default);

        var deleted = await Store.DeleteInstallAsync(Some.Product, alice, default);
        var again = await Store.DeleteInstallAsync(Some.Product, alice, default);

        Assert.Equal((2, 0), (deleted, again));
        Assert.Equal(1, await Store.CountRawEventsAsync(Some.Product, default));
        var total = Assert.Single(await Store.CountEventsExactAsync(new EventFilter(Some.Product, Today, Today), Interval.Total, default));
        Assert.Equal((1, 1), (total.Events, total.Installs));
        Assert.Empty(await Store.CountByPropertyExactAsync(new EventFilter(Some.Product, Today, Today), "stack", default));
    }

    [DatabaseFact]
    public async Task Append_KeepsTheFirstVerifierOfAnInstall_AndNeverReplacesIt()
    {
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var unverified = Some.Install(bob);
        unverified.Verifier = null;
        var stranger = Some.Install(alice);
        stranger.Verifier = Some.VerifierOf(Guid.NewGuid());
        await Store.AppendAsync([Incoming(Some.Install(alice)), Incoming(unverified)], default);
        await Store.AppendAsync([Incoming(stranger)], default);

        Assert.Equal(Convert.FromHexString(Some.VerifierOf(alice)), await Store.GetInstallVerifierAsync(Some.Product, alice, default));
        Assert.Null(await Store.GetInstallVerifierAsync(Some.Product, bob, default));
        Assert.Null(await Store.GetInstallVerifierAsync(Some.Product, Guid.NewGuid(), default));
        Assert.Null(await Store.GetInstallVerifierAsync("other", alice, default));

        // An install stored without one takes the first its owner's upgraded SDK sends.
        await Store.AppendAsync([Incoming(Some.Install(bob))], default);
        Assert.Equal(Convert.FromHexString(Some.VerifierOf(bob)), await Store.GetInstallVerifierAsync(Some.Product, bob, default));
    }

    [DatabaseFact]
    public async Task DeleteInstall_TakesTheVerifier_AndExpiryOfTheLastTraceDoesToo()
    {
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        await Store.AppendAsync([Incoming(Some.Install(alice)), Incoming(Some.Install(bob, Some.Now.AddDays(-10)))], default);

        await Store.DeleteInstallAsync(Some.Product, alice, default);
        await Store.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-5), default);
        await Store.DeleteRollupsBeforeAsync(Some.Product, Today.AddDays(-5), default);

        Assert.Null(await Store.GetInstallVerifierAsync(Some.Product, alice, default));
        Assert.Null(await Store.GetInstallVerifierAsync(Some.Product, bob, default));
    }

    [DatabaseFact]
    public async Task DeleteInstall_AlsoFindsRawEventsWhoseRollupsExpired()
    {
        var alice = Guid.NewGuid();
        await Store.AppendAsync([Incoming(Some.Install(alice, Some.Now.AddDays(-10))), Incoming(Some.Install(alice)), Incoming(Some.Install(time: Some.Now.AddDays(-10)))], default);
        await Store.DeleteRollupsBeforeAsync(Some.Product, Today.AddDays(-5), default);

        var deleted = await Store.DeleteInstallAsync(Some.Product, alice, default);

        Assert.Equal(2, deleted);
        Assert.Equal(1, await Store.CountRawEventsAsync(Some.Product, default));
    }

    [DatabaseFact]
    public async Task DeleteEventsBefore_RemovesOlderRawEvents_AndKeepsRollups()
    {
        await Store.AppendAsync([Incoming(Some.Install(time: Some.Now.AddDays(-10))), Incoming(Some.Install(time: Some.Now.AddDays(-10))), Incoming(Some.Install())], default);

        var deleted = await Store.DeleteEventsBeforeAsync(Some.Product, Some.Now.AddDays(-5), default);

        Assert.Equal(2, deleted);
        Assert.Equal(1, await Store.CountRawEventsAsync(Some.Product, default));
        var total = await Store.CountEventsExactAsync(new EventFilter(Some.Product, Today.AddDays(-30), Today), Interval.Total, default);
        Assert.Equal(3, total.Single().Events);
    }

    [DatabaseFact]
    public async Task DeleteRollupsBefore_RemovesOlderDaysOnly()
    {
        await Store.AppendAsync([Incoming(Some.Install(time: Some.Now.AddDays(-10))), Incoming(Some.Install())], default);

        var deleted = await Store.DeleteRollupsBeforeAsync(Some.Product, Today.AddDays(-5), default);

        Assert.True(deleted > 0);
        var days = await Store.CountEventsExactAsync(new EventFilter(Some.Product, Today.AddDays(-30), Today), Interval.Day, default);
        Assert.Equal([Today], days.Select(d => d.Period));
        Assert.Equal(2, await Store.CountRawEventsAsync(Some.Product, default));
    }

    [DatabaseFact]
    public async Task Catalogue_ProductsManifestsCredentialsAndAudit_RoundTrip()
    {
        var updated = await Store.SaveProductAsync(_product.Record with { KThreshold = 9, Created = Some.Now.AddDays(1) }, default);
        var addedAgain = await Store.AddManifestAsync(new ManifestRecord(Some.Product, 1, "{}", Some.Now), default);
        var id = await Store.AddCredentialAsync(new CredentialRecord(0, [1, 2, 3], CredentialRole.Reader, null, "analyst", Some.Now), default);
        var other = await Store.AddCredentialAsync(new CredentialRecord(0, [4, 5, 6], CredentialRole.Ingestion, Some.Product, "ci", Some.Now), default);
        var revoked = await Store.RevokeCredentialAsync(id, Some.Now, default);
        await Store.AppendAuditAsync(new AuditEntry(Some.Now, "me", "first", "t", "d"), default);
        await Store.AppendAuditAsync(new AuditEntry(Some.Now, "me", "second", "t", "d"), default);

        Assert.Equal(Some.Now, updated.Created);
        Assert.Equal(9, Assert.Single(await Store.GetProductsAsync(default)).KThreshold);
        Assert.False(addedAgain);
        Assert.Equal(Some.ManifestJson, Assert.Single(await Store.GetManifestsAsync(default)).Json);
        Assert.True(revoked);
        Assert.False(await Store.RevokeCredentialAsync(id, Some.Now, default));
        var live = Assert.Single(await Store.GetCredentialsAsync(default));
        Assert.Equal((other, CredentialRole.Ingestion, Some.Product), (live.Id, live.Role, live.Product));
        Assert.Equal(["second", "first"], (await Store.GetAuditAsync(10, default)).Select(a => a.Action));
    }

    [DatabaseFact]
    public async Task FindRevocation_NamesTheTimeOfARevokedHashOnly()
    {
        var revokedAt = Some.Now.AddHours(-3);
        var id = await Store.AddCredentialAsync(new CredentialRecord(0, [7, 7, 7], CredentialRole.Admin, null, "configured", Some.Now.AddDays(-1)), default);
        await Store.AddCredentialAsync(new CredentialRecord(0, [8, 8, 8], CredentialRole.Admin, null, "other", Some.Now.AddDays(-1)), default);
        await Store.RevokeCredentialAsync(id, revokedAt, default);

        Assert.Equal(revokedAt, await Store.FindRevocationAsync([7, 7, 7], default));
        Assert.Null(await Store.FindRevocationAsync([8, 8, 8], default));
        Assert.Null(await Store.FindRevocationAsync([9, 9, 9], default));
    }

    private protected IncomingEvent Incoming(WireEvent wire, string country = "")
    {
        var (incoming, refusal) = new EventValidator(new FakeTimeProvider(Some.Now)).Validate(wire, _product, country, TimeSpan.FromDays(1));
        Assert.Null(refusal);
        return incoming!;
    }
}
