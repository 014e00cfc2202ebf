using System.Collections.Concurrent;
using System.Security.Claims;
using Candor.Collector.Access;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;

namespace Candor.Collector.Query;

/// <summary>
/// The queries behind the query API and the dashboard, in one place so that both suppress small groups the same
/// way. Everything but <see cref="RawAsync"/> reads the daily rollups, and every answer leaves out the groups
/// that fewer than the product's k distinct installs are in, saying how many it left out.
/// </summary>
internal sealed class QueryService(ProductCatalog catalog, IEventStore store, AuditLog audit, TimeProvider time)
{
    /// <summary>The longest range one query may cover, in days.</summary>
    public const int MaxDays = 3 * 366;

    /// <summary>The range a query covers when it names none: the last 30 days, today included.</summary>
    public const int DefaultDays = 30;

    /// <summary>Today, as a UTC day, on the collector's clock.</summary>
    public DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>Checks the product, the range and the event, and gives the scope that the queries then run in.</summary>
    /// <returns>A problem that says what is wrong, or <see langword="null"/> and the scope.</returns>
    public QueryProblem? Resolve(QueryArguments arguments, out QueryScope scope)
    {
        scope = null!;
        if (catalog.Find(arguments.Product) is not { } product)
        {
            return QueryProblem.NotFound($"no product '{arguments.Product}'");
        }

        var to = arguments.To ?? Today;
        var from = arguments.From ?? to.AddDays(-(DefaultDays - 1));
        if (from > to || to.DayNumber - from.DayNumber > MaxDays)
        {
            return QueryProblem.BadRequest($"'from' must not be after 'to', and the range must be at most {MaxDays} days");
        }

        if (arguments.Event is not null && !product.DeclaresEvent(arguments.Event))
        {
            return QueryProblem.BadRequest($"'{arguments.Event}' is not a declared event of '{arguments.Product}'");
        }

        scope = new QueryScope(product, new EventFilter(product.Record.Name, from, to, arguments.Event, arguments.Version, arguments.Os, arguments.Ci));
        return null;
    }

    /// <summary>Events and distinct installs per period.</summary>
    public async Task<QueryResult<PeriodRow>> EventsAsync(QueryScope scope, Interval interval, CancellationToken cancellationToken)
    {
        var rows = await CountAsync(scope, scope.Filter, interval, cancellationToken);
        return Suppress(scope, rows, r => r.Installs, r => new PeriodRow(r.Period, r.Events, r.Installs));
    }

    /// <summary>Distinct installs per period.</summary>
    public async Task<QueryResult<InstallRow>> InstallsAsync(QueryScope scope, Interval interval, CancellationToken cancellationToken)
    {
        var rows = await CountAsync(scope, scope.Filter, interval, cancellationToken);
        return Suppress(scope, rows, r => r.Installs, r => new InstallRow(r.Period, r.Installs));
    }

    /// <summary>Events and distinct installs per value of a declared property (a list counts each item).</summary>
    public async Task<QueryAnswer<GroupRow>> ByPropertyAsync(QueryScope scope, string property, CancellationToken cancellationToken)
    {
        var field = scope.Product.FindFields(scope.Filter.Event, property).FirstOrDefault();
        if (field is null || field.IsMeasurement)
        {
            return QueryProblem.BadRequest(field is null
                ? $"no event{(scope.Filter.Event is null ? "" : $" '{scope.Filter.Event}'")} declares a property '{property}'"
                : $"'{property}' is a measurement; use /durations");
        }

        var rows = await store.CountByPropertyAsync(scope.Filter, property, cancellationToken);
        return Suppress(scope, rows, r => r.Installs, r => new GroupRow(r.Value, r.Events, r.Installs));
    }

    /// <summary>
    /// How often <paramref name="numerator"/> happens relative to <paramref name="denominator"/>, over the whole
    /// range or per value of a property both declare. The scope's own event is ignored.
    /// </summary>
    public async Task<QueryAnswer<RatioRow>> RatioAsync(QueryScope scope, string numerator, string denominator, string? by, CancellationToken cancellationToken)
    {
        var product = scope.Product;
        foreach (var name in new[] { numerator, denominator })
        {
            if (!product.DeclaresEvent(name))
            {
                return QueryProblem.BadRequest($"'{name}' is not a declared event");
            }

            if (by is not null && product.FindFields(name, by).FirstOrDefault() is not { IsMeasurement: false })
            {
                return QueryProblem.BadRequest($"event '{name}' declares no property '{by}'");
            }
        }

        var filter = scope.Filter;
        IReadOnlyList<GroupCount> top, bottom;
        if (by is null)
        {
            top = [.. (await CountAsync(scope, filter with { Event = numerator }, Interval.Total, cancellationToken)).Select(r => new GroupCount("", r.Events, r.Installs))];
            bottom = [.. (await CountAsync(scope, filter with { Event = denominator }, Interval.Total, cancellationToken)).Select(r => new GroupCount("", r.Events, r.Installs))];
        }
        else
        {
            top = await store.CountByPropertyAsync(filter with { Event = numerator }, by, cancellationToken);
            bottom = await store.CountByPropertyAsync(filter with { Event = denominator }, by, cancellationToken);
        }

        // A rate shows the numerator's count next to the denominator's, so both groups must be large enough;
        // a group nobody failed in (numerator 0) reveals nothing about anyone and stays.
        var k = product.Record.KThreshold;
        var numerators = top.ToDictionary(g => g.Value, StringComparer.Ordinal);
        var rows = new List<RatioRow>();
        var suppressed = 0;
        foreach (var group in bottom)
        {
            var failed = numerators.GetValueOrDefault(group.Value) ?? new GroupCount(group.Value, 0, 0);
            if (group.Installs < k || failed.Installs is > 0 && failed.Installs < k)
            {
                suppressed++;
                continue;
            }

            rows.Add(new RatioRow(group.Value, failed.Events, group.Events, group.Events == 0 ? 0 : (double)failed.Events / group.Events));
        }

        suppressed += numerators.Keys.Count(v => !bottom.Any(b => b.Value == v));
        return new QueryResult<RatioRow>(product.Record.Name, filter.From, filter.To, k, suppressed, [.. rows.OrderByDescending(r => r.Rate)]);
    }

    /// <summary>p50, p90 and p99 of a duration measurement of the scope's event, per period.</summary>
    public async Task<QueryAnswer<DurationRow>> DurationsAsync(QueryScope scope, string measurement, Interval interval, CancellationToken cancellationToken)
    {
        var filter = scope.Filter;
        if (filter.Event is null || scope.Product.FindFields(filter.Event, measurement).FirstOrDefault() is not { Kind: FieldKind.Duration })
        {
            return QueryProblem.BadRequest($"'event' must name an event that declares the duration '{measurement}'");
        }

        var installs = (await CountAsync(scope, filter, interval, cancellationToken)).ToDictionary(r => r.Period, r => r.Installs);
        var histogram = await store.GetDurationHistogramAsync(filter, measurement, interval, cancellationToken);
        var k = scope.Product.Record.KThreshold;
        var rows = new List<DurationRow>();
        var suppressed = 0;
        foreach (var group in histogram.GroupBy(h => h.Period))
        {
            if (installs.GetValueOrDefault(group.Key) < k)
            {
                suppressed++;
                continue;
            }

            var buckets = group.OrderBy(h => h.Bucket).Select(h => (h.Bucket, h.Count)).ToList();
            var count = buckets.Sum(b => b.Count);
            rows.Add(new DurationRow(
                group.Key,
                count,
                DurationHistogram.Percentile(buckets, count, 0.50),
                DurationHistogram.Percentile(buckets, count, 0.90),
                DurationHistogram.Percentile(buckets, count, 0.99)));
        }

        return new QueryResult<DurationRow>(scope.Product.Record.Name, filter.From, filter.To, k, suppressed, rows);
    }

    /// <summary>The share of all installs in the scope that each value of a context dimension has.</summary>
    public async Task<QueryResult<ShareRow>> SharesAsync(QueryScope scope, ContextDimension dimension, CancellationToken cancellationToken)
    {
        var total = (await CountAsync(scope, scope.Filter, Interval.Total, cancellationToken)).Sum(r => r.Installs);
        var groups = await store.CountByContextAsync(scope.Filter, dimension, cancellationToken);
        var ordered = groups.OrderByDescending(g => g.Installs).ThenBy(g => g.Value, StringComparer.Ordinal).ToList();
        return Suppress(scope, ordered, g => g.Installs, g => new ShareRow(g.Value, g.Installs, total == 0 ? 0 : (double)g.Installs / total));
    }

    /// <summary>The most frequent signatures of the scope's event's stack property (the first one it declares, unless named).</summary>
    public async Task<QueryAnswer<SignatureRow>> ExceptionsAsync(QueryScope scope, string? property, int top, CancellationToken cancellationToken)
    {
        var filter = scope.Filter;
        var field = filter.Event is null
            ? null
            : property is null
                ? scope.Product.Revisions.Values.Reverse().Select(m => m.Find(filter.Event)).OfType<EventDefinition>().SelectMany(e => e.Fields).FirstOrDefault(f => f.Kind is FieldKind.Stack)
                : scope.Product.FindFields(filter.Event, property).FirstOrDefault(f => f.Kind is FieldKind.Stack);
        if (field is null)
        {
            return QueryProblem.BadRequest("'event' must name an event that declares a stack property (name it with 'property' if it has several)");
        }

        var rows = await store.CountByPropertyAsync(filter, field.Name, cancellationToken);
        var k = scope.Product.Record.KThreshold;
        var shown = rows.Where(r => r.Installs >= k).Take(Math.Clamp(top, 1, 1000)).Select(r => new SignatureRow(r.Value, r.Events, r.Installs)).ToList();
        return new QueryResult<SignatureRow>(scope.Product.Record.Name, filter.From, filter.To, k, rows.Count(r => r.Installs < k), shown);
    }

    /// <summary>Raw events in time order, at most <paramref name="limit"/>; the read is written to the audit log in <paramref name="user"/>'s name.</summary>
    public async Task<QueryResult<RawRow>> RawAsync(QueryScope scope, int limit, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var filter = scope.Filter;
        var events = await store.ReadRawAsync(filter, Math.Clamp(limit, 1, 100_000), cancellationToken);
        await audit.RecordAsync(user, "raw.read", scope.Product.Record.Name,
            $"{events.Count} raw events from {filter.From:yyyy-MM-dd} to {filter.To:yyyy-MM-dd}{(filter.Event is null ? "" : $" of '{filter.Event}'")}", cancellationToken);
        var rows = events.Select(e => new RawRow(
            e.Id, e.Name, e.Revision, e.Time, e.Install, e.Context.Version, e.Context.Os, e.Context.Runtime, e.Context.Ci, e.Context.Country, e.Properties, e.Measurements,
            e.Context.OsVersion, e.Context.Arch, e.Context.Host, e.Context.Container, e.Context.Wsl, e.Context.Interactive, e.Machine)).ToList();
        return new QueryResult<RawRow>(scope.Product.Record.Name, filter.From, filter.To, scope.Product.Record.KThreshold, 0, rows);
    }

    // Several queries of one scope need the same counts (shares all divide by the installs of the whole range),
    // so a scope asks the store for each filter and period once, even when its queries run in parallel.
    private Task<IReadOnlyList<PeriodCount>> CountAsync(QueryScope scope, EventFilter filter, Interval interval, CancellationToken cancellationToken) =>
        scope.Counts.GetOrAdd((filter, interval), key => new Lazy<Task<IReadOnlyList<PeriodCount>>>(() => store.CountEventsAsync(key.Filter, key.Interval, cancellationToken))).Value;

    private static QueryResult<TRow> Suppress<TIn, TRow>(QueryScope scope, IReadOnlyList<TIn> rows, Func<TIn, long> installs, Func<TIn, TRow> map)
    {
        var k = scope.Product.Record.KThreshold;
        var shown = rows.Where(r => installs(r) >= k).Select(map).ToList();
        return new QueryResult<TRow>(scope.Product.Record.Name, scope.Filter.From, scope.Filter.To, k, rows.Count - shown.Count, shown);
    }
}

/// <summary>What every query takes: a product, an inclusive range of UTC days (defaults: the last 30 days) and optional filters.</summary>
internal sealed record QueryArguments(
    string Product,
    DateOnly? From = null,
    DateOnly? To = null,
    string? Event = null,
    string? Version = null,
    string? Os = null,
    bool? Ci = null);

/// <summary>
/// A checked product and filter that queries run in. Counts asked for twice within one scope are asked of the
/// store once; a scope is meant for one page or one request, not to be kept.
/// </summary>
internal sealed class QueryScope(CatalogProduct product, EventFilter filter)
{
    public CatalogProduct Product { get; } = product;

    public EventFilter Filter { get; } = filter;

    internal ConcurrentDictionary<(EventFilter Filter, Interval Interval), Lazy<Task<IReadOnlyList<PeriodCount>>>> Counts { get; } = new();

    /// <summary>The same product and counts, for one event (or all events with <see langword="null"/>).</summary>
    public QueryScope ForEvent(string? eventName) => new(Product, Filter with { Event = eventName }, Counts);

    /// <summary>The same product and counts, with another filter.</summary>
    public QueryScope With(EventFilter filter) => new(Product, filter, Counts);

    private QueryScope(CatalogProduct product, EventFilter filter, ConcurrentDictionary<(EventFilter, Interval), Lazy<Task<IReadOnlyList<PeriodCount>>>> counts)
        : this(product, filter) => Counts = counts;
}

/// <summary>Why a query cannot be answered, with the HTTP status the query API answers it with.</summary>
internal sealed record QueryProblem(int StatusCode, string Detail)
{
    public static QueryProblem NotFound(string detail) => new(StatusCodes.Status404NotFound, detail);

    public static QueryProblem BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);

    public IResult ToResult() => StatusCode == StatusCodes.Status404NotFound ? TypedResults.NotFound(Detail) : TypedResults.BadRequest(Detail);
}

/// <summary>A query's result, or the problem that kept it from being answered.</summary>
internal readonly record struct QueryAnswer<T>(QueryResult<T>? Result, QueryProblem? Problem)
{
    public static implicit operator QueryAnswer<T>(QueryResult<T> result) => new(result, null);

    public static implicit operator QueryAnswer<T>(QueryProblem problem) => new(null, problem);
}
