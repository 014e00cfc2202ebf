using System.Security.Claims;
using Candor.Collector.Access;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;

namespace Candor.Collector.Query;

/// <summary>
/// The queries behind the query API and the dashboard, in one place so that both publish the same figures.
/// Everything but <see cref="RawAsync"/> reads the daily rollups, and every answer leaves out the groups whose
/// distinct installs do not pass the noisy low-count filter (about the product's k), saying how many it left out;
/// every count it publishes carries the sticky noise of <see cref="FigureNoise"/>, and every share, rate and
/// percentile is made from noisy counts, so no combination of answers gives back what the filter hides. Each query can also be
/// asked of a <see cref="RollupBatch"/> together with others and shaped from its answers, as the dashboard does
/// for a whole page: the results are the same.
/// </summary>
internal sealed class QueryService(ProductCatalog catalog, IEventLog eventLog, IRollupReader rollups, AuditLog audit, FigureNoise noise, TimeProvider time)
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

        scope = new QueryScope(product, new EventFilter(product.Record.Name, from, to, arguments.Event, arguments.Version, arguments.Os, arguments.Ci), noise);
        return null;
    }

    /// <summary>Answers every query asked of <paramref name="batch"/> at once (the store reads each day rollup once for all of them).</summary>
    public async Task RunAsync(RollupBatch batch, CancellationToken cancellationToken) =>
        batch.Answers = await rollups.CountAsync(batch.Queries, cancellationToken);

    /// <summary>Events and distinct installs per period.</summary>
    public async Task<QueryResult<PeriodRow>> EventsAsync(QueryScope scope, Interval interval, CancellationToken cancellationToken)
    {
        var batch = new RollupBatch();
        var asked = AskEvents(batch, scope, interval);
        await RunAsync(batch, cancellationToken);
        return Events(scope, batch, asked);
    }

    /// <summary>Distinct installs per period.</summary>
    public async Task<QueryResult<InstallRow>> InstallsAsync(QueryScope scope, Interval interval, CancellationToken cancellationToken)
    {
        var batch = new RollupBatch();
        var asked = AskEvents(batch, scope, interval);
        await RunAsync(batch, cancellationToken);
        return Installs(scope, batch, asked);
    }

    /// <summary>Events and distinct installs per value of a declared property (a list counts each item).</summary>
    public async Task<QueryAnswer<GroupRow>> ByPropertyAsync(QueryScope scope, string property, CancellationToken cancellationToken)
    {
        if (CheckProperty(scope, property) is { } problem)
        {
            return problem;
        }

        var batch = new RollupBatch();
        var asked = AskByProperty(batch, scope, property);
        await RunAsync(batch, cancellationToken);
        return ByProperty(scope, batch, asked);
    }

    /// <summary>
    /// How often <paramref name="numerator"/> happens relative to <paramref name="denominator"/>, over the whole
    /// range or per value of a property both declare. The scope's own event is ignored.
    /// </summary>
    public async Task<QueryAnswer<RatioRow>> RatioAsync(QueryScope scope, string numerator, string denominator, string? by, CancellationToken cancellationToken)
    {
        if (CheckRatio(scope, numerator, denominator, by) is { } problem)
        {
            return problem;
        }

        var batch = new RollupBatch();
        var asked = AskRatio(batch, scope, numerator, denominator, by);
        await RunAsync(batch, cancellationToken);
        return Ratio(scope, batch, asked);
    }

    /// <summary>p50, p90 and p99 of a duration measurement of the scope's event, per period.</summary>
    public async Task<QueryAnswer<DurationRow>> DurationsAsync(QueryScope scope, string measurement, Interval interval, CancellationToken cancellationToken)
    {
        if (CheckDurations(scope, measurement) is { } problem)
        {
            return problem;
        }

        var batch = new RollupBatch();
        var asked = AskDurations(batch, scope, measurement, interval);
        await RunAsync(batch, cancellationToken);
        return Durations(scope, batch, asked);
    }

    /// <summary>The share of all installs in the scope that each value of a context dimension has.</summary>
    public async Task<QueryResult<ShareRow>> SharesAsync(QueryScope scope, ContextDimension dimension, CancellationToken cancellationToken)
    {
        var batch = new RollupBatch();
        var asked = AskShares(batch, scope, dimension);
        await RunAsync(batch, cancellationToken);
        return Shares(scope, batch, asked);
    }

    /// <summary>The most frequent signatures of the scope's event's stack property (the first one it declares, unless named).</summary>
    public async Task<QueryAnswer<SignatureRow>> ExceptionsAsync(QueryScope scope, string? property, int top, CancellationToken cancellationToken)
    {
        if (StackField(scope, property) is not { } field)
        {
            return QueryProblem.BadRequest("'event' must name an event that declares a stack property (name it with 'property' if it has several)");
        }

        var batch = new RollupBatch();
        var asked = AskByProperty(batch, scope, field.Name);
        await RunAsync(batch, cancellationToken);
        return Exceptions(scope, batch, asked, top);
    }

    // Each query above is three steps, so that a page can ask many queries of one batch and shape each answer:
    // check what was asked (a problem, or nothing), ask the batch for the rollup queries it needs (their places in
    // the batch), and shape their answers into the result, leaving out the groups that do not pass the noisy
    // filter and adding noise to every count.

    /// <summary>Asks for events and distinct installs per period (<see cref="Events"/> or <see cref="Installs"/>).</summary>
    public static int AskEvents(RollupBatch batch, QueryScope scope, Interval interval) => batch.Ask(RollupQuery.Events(scope.Filter, interval));

    /// <inheritdoc cref="EventsAsync"/>
    public static QueryResult<PeriodRow> Events(QueryScope scope, RollupBatch batch, int asked)
    {
        var (noise, figure) = (scope.Noise, Figure.Of(scope.Filter));
        return Shown(scope, batch[asked].PeriodRows, figure, static count => (count.Installs, count.Fingerprint),
            count => new PeriodRow(count.Period, noise.Events(figure, count.Events, count.Fingerprint, count.Heaviest), noise.Installs(figure, count.Installs, count.Fingerprint)));
    }

    /// <inheritdoc cref="InstallsAsync"/>
    public static QueryResult<InstallRow> Installs(QueryScope scope, RollupBatch batch, int asked)
    {
        var (noise, figure) = (scope.Noise, Figure.Of(scope.Filter));
        return Shown(scope, batch[asked].PeriodRows, figure, static count => (count.Installs, count.Fingerprint),
            count => new InstallRow(count.Period, noise.Installs(figure, count.Installs, count.Fingerprint)));
    }

    public static QueryProblem? CheckProperty(QueryScope scope, string property)
    {
        var field = scope.Product.FindFields(scope.Filter.Event, property).FirstOrDefault();
        return field is null || field.IsMeasurement
            ? QueryProblem.BadRequest(field is null
                ? $"no event{(scope.Filter.Event is null ? "" : $" '{scope.Filter.Event}'")} declares a property '{property}'"
                : $"'{property}' is a measurement; use /durations")
            : null;
    }

    public static int AskByProperty(RollupBatch batch, QueryScope scope, string property) => batch.Ask(RollupQuery.ByProperty(scope.Filter, property));

    /// <inheritdoc cref="ByPropertyAsync"/>
    public static QueryResult<GroupRow> ByProperty(QueryScope scope, RollupBatch batch, int asked)
    {
        var query = batch.Queries[asked];
        var (rows, suppressed) = NoisyGroups(scope, batch[asked].GroupRows, Figure.GroupOf(query.Field!));
        return Result(scope, suppressed, [.. rows.Select(static r => new GroupRow(r.Value, r.Events, r.Installs))]);
    }

    public static QueryProblem? CheckRatio(QueryScope scope, string numerator, string denominator, string? by)
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

        return null;
    }

    /// <summary>Asks for the numerator's and the denominator's counts, over the range or by <paramref name="by"/>.</summary>
    public static (int Top, int Bottom) AskRatio(RollupBatch batch, QueryScope scope, string numerator, string denominator, string? by)
    {
        var filter = scope.Filter;
        return by is null
            ? (batch.Ask(RollupQuery.Events(filter with { Event = numerator }, Interval.Total)), batch.Ask(RollupQuery.Events(filter with { Event = denominator }, Interval.Total)))
            : (batch.Ask(RollupQuery.ByProperty(filter with { Event = numerator }, by)), batch.Ask(RollupQuery.ByProperty(filter with { Event = denominator }, by)));
    }

    /// <inheritdoc cref="RatioAsync"/>
    public static QueryResult<RatioRow> Ratio(QueryScope scope, RollupBatch batch, (int Top, int Bottom) asked)
    {
        var (topQuery, bottomQuery) = (batch.Queries[asked.Top], batch.Queries[asked.Bottom]);
        var group = topQuery.Kind is RollupQueryKind.ByProperty ? Figure.GroupOf(topQuery.Field!) : null;
        var top = Groups(batch[asked.Top]);
        var bottom = Groups(batch[asked.Bottom]);

        // A group is shown when its denominator passes the filter. Its numerator is shown only when it passes the
        // filter too; otherwise it is hidden, and so is a numerator of nobody (under a k above 1): were a group
        // nobody failed in shown as 0 and a group of one failing install hidden, the gap between them would tell
        // that someone failed. Both counts are noisy events counts, and the rate is theirs.
        var (noise, k) = (scope.Noise, scope.Product.Record.KThreshold);
        var numerators = new Dictionary<string, GroupCount>(StringComparer.Ordinal);
        foreach (var row in top)
        {
            numerators[row.Value] = row;
        }

        var rows = new List<RatioRow>();
        var suppressed = 0;
        var denominators = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in bottom)
        {
            denominators.Add(row.Value);
            var bottomFigure = Figure.Of(bottomQuery.Filter, group, group is null ? null : row.Value);
            if (!noise.Shown(bottomFigure, k, row.Installs, row.Fingerprint))
            {
                suppressed++;
                continue;
            }

            var denominator = noise.Events(bottomFigure, row.Events, row.Fingerprint, row.Heaviest);
            var topFigure = Figure.Of(topQuery.Filter, group, group is null ? null : row.Value);
            long? numerator = numerators.GetValueOrDefault(row.Value) is { } failed
                ? noise.Shown(topFigure, k, failed.Installs, failed.Fingerprint) ? noise.Events(topFigure, failed.Events, failed.Fingerprint, failed.Heaviest) : null
                : k <= 1 ? 0 : null;
            rows.Add(new RatioRow(row.Value, numerator, denominator, numerator is not { } n ? null : denominator == 0 ? 0 : (double)n / denominator));
        }

        foreach (var value in numerators.Keys)
        {
            suppressed += denominators.Contains(value) ? 0 : 1;
        }

        // Highest rate first, hidden rates last; equal rates keep the denominator's order (a stable sort).
        var ordered = new RatioRow[rows.Count];
        var keys = new double[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            ordered[i] = rows[i];
            keys[i] = rows[i].Rate is { } rate ? -rate : double.PositiveInfinity;
        }

        StableSort(keys, ordered);
        return Result(scope, suppressed, ordered);

        // The counts over the whole range are one unnamed group.
        static IReadOnlyList<GroupCount> Groups(RollupAnswer answer)
        {
            if (answer.Groups is { } groups)
            {
                return groups;
            }

            var rows = new List<GroupCount>();
            foreach (var period in answer.PeriodRows)
            {
                rows.Add(new GroupCount("", period.Events, period.Installs, period.Fingerprint, period.Heaviest));
            }

            return rows;
        }
    }

    public static QueryProblem? CheckDurations(QueryScope scope, string measurement) =>
        scope.Filter.Event is null || scope.Product.FindFields(scope.Filter.Event, measurement).FirstOrDefault() is not { Kind: FieldKind.Duration }
            ? QueryProblem.BadRequest($"'event' must name an event that declares the duration '{measurement}'")
            : null;

    /// <summary>Asks for the installs per period (a period of fewer than k installs hides its percentiles) and the histogram.</summary>
    public static (int Installs, int Histogram) AskDurations(RollupBatch batch, QueryScope scope, string measurement, Interval interval) =>
        (batch.Ask(RollupQuery.Events(scope.Filter, interval)), batch.Ask(RollupQuery.Histogram(scope.Filter, measurement, interval)));

    /// <inheritdoc cref="DurationsAsync"/>
    /// <remarks>
    /// A period's percentiles are shown only when its installs pass the filter; they are read from the noisy
    /// bucket counts, and never from the slowest <see cref="FigureNoise.Tail"/> durations, so that no install's
    /// own slowest durations are an order statistic that is shown.
    /// </remarks>
    public static QueryResult<DurationRow> Durations(QueryScope scope, RollupBatch batch, (int Installs, int Histogram) asked)
    {
        var periods = new Dictionary<DateOnly, PeriodCount>();
        foreach (var row in batch[asked.Installs].PeriodRows)
        {
            periods[row.Period] = row;
        }

        var measurement = batch.Queries[asked.Histogram].Field!;
        // The store gives the histogram ordered by period, then bucket.
        var histogram = batch[asked.Histogram].HistogramRows;
        var (noise, figure, k) = (scope.Noise, Figure.Of(scope.Filter), scope.Product.Record.KThreshold);
        var rows = new List<DurationRow>();
        var suppressed = 0;
        for (var start = 0; start < histogram.Count;)
        {
            var period = histogram[start].Period;
            var end = start;
            while (end < histogram.Count && histogram[end].Period == period)
            {
                end++;
            }

            var installs = periods.GetValueOrDefault(period);
            if (installs is null || !noise.Shown(figure, k, installs.Installs, installs.Fingerprint))
            {
                suppressed++;
                start = end;
                continue;
            }

            var buckets = new (int Bucket, long Count)[end - start];
            for (var i = start; i < end; i++)
            {
                buckets[i - start] = (histogram[i].Bucket, histogram[i].Count);
            }

            noise.Buckets(figure, measurement, installs.Fingerprint, buckets);
            long count = 0;
            foreach (var (_, noisy) in buckets)
            {
                count += noisy;
            }

            start = end;
            var highest = count - noise.Tail(figure, measurement, k, installs.Heaviest, installs.Fingerprint);
            if (highest < 1)
            {
                suppressed++;
                continue;
            }

            rows.Add(new DurationRow(
                period,
                count,
                DurationHistogram.ValueAtRank(buckets, Math.Min(Rank(count, 0.50), highest)),
                DurationHistogram.ValueAtRank(buckets, Math.Min(Rank(count, 0.90), highest)),
                DurationHistogram.ValueAtRank(buckets, Math.Min(Rank(count, 0.99), highest))));
        }

        return Result(scope, suppressed, rows);

        static long Rank(long count, double percentile) => (long)Math.Ceiling(percentile * count);
    }

    /// <summary>Asks for the installs of the whole scope (what each share divides by) and the groups of the dimension.</summary>
    public static (int Total, int Groups) AskShares(RollupBatch batch, QueryScope scope, ContextDimension dimension) =>
        (batch.Ask(RollupQuery.Events(scope.Filter, Interval.Total)), batch.Ask(RollupQuery.ByContext(scope.Filter, dimension)));

    /// <inheritdoc cref="SharesAsync"/>
    public static QueryResult<ShareRow> Shares(QueryScope scope, RollupBatch batch, (int Total, int Groups) asked)
    {
        // The total is published as noisily as any other count, so that it minus the groups shown is no exact
        // count of the groups hidden.
        var (noise, figure) = (scope.Noise, Figure.Of(scope.Filter));
        long total = 0;
        foreach (var period in batch[asked.Total].PeriodRows)
        {
            total += noise.Installs(figure, period.Installs, period.Fingerprint);
        }

        var dimension = batch.Queries[asked.Groups].Dimension;
        var (shown, suppressed) = NoisyGroups(scope, batch[asked.Groups].GroupRows, Figure.GroupOf(dimension));

        // Most installs first, then by value.
        shown.Sort(static (a, b) => a.Installs != b.Installs ? b.Installs.CompareTo(a.Installs) : string.CompareOrdinal(a.Value, b.Value));
        return Result(scope, suppressed, [.. shown.Select(g => new ShareRow(g.Value, g.Installs, total == 0 ? 0 : Math.Min(1, (double)g.Installs / total)))]);
    }

    /// <summary>The stack property <see cref="ExceptionsAsync"/> reads: the named one, else the first the scope's event declares; <see langword="null"/> when there is none.</summary>
    public static FieldDefinition? StackField(QueryScope scope, string? property)
    {
        var filter = scope.Filter;
        return filter.Event is null
            ? null
            : property is null
                ? scope.Product.Revisions.Values.Reverse().Select(m => m.Find(filter.Event)).OfType<EventDefinition>().SelectMany(e => e.Fields).FirstOrDefault(f => f.Kind is FieldKind.Stack)
                : scope.Product.FindFields(filter.Event, property).FirstOrDefault(f => f.Kind is FieldKind.Stack);
    }

    /// <inheritdoc cref="ExceptionsAsync"/>
    public static QueryResult<SignatureRow> Exceptions(QueryScope scope, RollupBatch batch, int asked, int top)
    {
        var (shown, suppressed) = NoisyGroups(scope, batch[asked].GroupRows, Figure.GroupOf(batch.Queries[asked].Field!));
        return Result(scope, suppressed, [.. shown.Take(Math.Clamp(top, 1, 1000)).Select(static r => new SignatureRow(r.Value, r.Events, r.Installs))]);
    }

    /// <summary>Raw events in time order, at most <paramref name="limit"/>; the read is written to the audit log in <paramref name="user"/>'s name.</summary>
    public async Task<QueryResult<RawRow>> RawAsync(QueryScope scope, int limit, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var filter = scope.Filter;
        var events = await eventLog.ReadRawAsync(filter, Math.Clamp(limit, 1, 100_000), cancellationToken);
        await audit.RecordAsync(user, "raw.read", scope.Product.Record.Name,
            $"{events.Count} raw events from {filter.From:yyyy-MM-dd} to {filter.To:yyyy-MM-dd}{(filter.Event is null ? "" : $" of '{filter.Event}'")}", cancellationToken);
        var rows = events.Select(e => new RawRow(
            e.Id, e.Name, e.Revision, e.Time, e.Install, e.Context.Version, e.Context.Os, e.Context.Runtime, e.Context.Ci, e.Context.Country, e.Properties, e.Measurements,
            e.Context.OsVersion, e.Context.Arch, e.Context.Host, e.Context.Container, e.Context.Wsl, e.Context.Interactive)).ToList();
        return new QueryResult<RawRow>(scope.Product.Record.Name, filter.From, filter.To, scope.Product.Record.KThreshold, 0, rows, null);
    }

    private static QueryResult<T> Result<T>(QueryScope scope, int suppressed, IReadOnlyList<T> rows) =>
        new(scope.Product.Record.Name, scope.Filter.From, scope.Filter.To, scope.Product.Record.KThreshold, suppressed, rows, scope.Noise.Description);

    // The rule every period result follows: a period whose installs do not pass the noisy filter is left out, and counted.
    private static QueryResult<TRow> Shown<TCount, TRow>(QueryScope scope, IReadOnlyList<TCount> counts, Figure figure, Func<TCount, (long Installs, long Fingerprint)> installs, Func<TCount, TRow> row)
    {
        var k = scope.Product.Record.KThreshold;
        var shown = new List<TRow>(counts.Count);
        foreach (var count in counts)
        {
            var (n, fingerprint) = installs(count);
            if (scope.Noise.Shown(figure, k, n, fingerprint))
            {
                shown.Add(row(count));
            }
        }

        return Result(scope, counts.Count - shown.Count, shown);
    }

    // The groups of a breakdown that pass the noisy filter, their counts noisy, most events first (then by value),
    // and how many were left out. Each group is the figure of the scope with the group's value as one more condition.
    private static (List<GroupCount> Shown, int Suppressed) NoisyGroups(QueryScope scope, IReadOnlyList<GroupCount> groups, string grouping)
    {
        var (noise, k) = (scope.Noise, scope.Product.Record.KThreshold);
        var shown = new List<GroupCount>(groups.Count);
        foreach (var group in groups)
        {
            var figure = Figure.Of(scope.Filter, grouping, group.Value);
            if (noise.Shown(figure, k, group.Installs, group.Fingerprint))
            {
                shown.Add(new GroupCount(group.Value, noise.Events(figure, group.Events, group.Fingerprint, group.Heaviest), noise.Installs(figure, group.Installs, group.Fingerprint)));
            }
        }

        shown.Sort(static (a, b) => a.Events != b.Events ? b.Events.CompareTo(a.Events) : string.CompareOrdinal(a.Value, b.Value));
        return (shown, groups.Count - shown.Count);
    }

    // Array.Sort is not stable; ties keep their order by sorting on (key, index).
    private static void StableSort(double[] keys, RatioRow[] rows)
    {
        var order = new int[rows.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var sorted = new RatioRow[rows.Length];
        for (var i = 0; i < order.Length; i++)
        {
            sorted[i] = rows[order[i]];
        }

        sorted.CopyTo(rows, 0);
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

/// <summary>A checked product and filter that queries run in.</summary>
internal sealed class QueryScope(CatalogProduct product, EventFilter filter, FigureNoise noise)
{
    public CatalogProduct Product { get; } = product;

    public EventFilter Filter { get; } = filter;

    /// <summary>The noise every figure shaped in this scope is published with.</summary>
    public FigureNoise Noise { get; } = noise;

    /// <summary>The same product, for one event (or all events with <see langword="null"/>).</summary>
    public QueryScope ForEvent(string? eventName) => new(Product, Filter with { Event = eventName }, Noise);

    /// <summary>The same product, with another filter.</summary>
    public QueryScope With(EventFilter filter) => new(Product, filter, Noise);
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
