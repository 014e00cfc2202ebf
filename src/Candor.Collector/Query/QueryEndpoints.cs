using System.Security.Claims;
using Candor.Collector.Access;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Candor.Collector.Query;

/// <summary>
/// The query API (reader token). Everything but the raw export reads the daily rollups, and every answer drops
/// the groups that fewer than the product's k distinct installs are in, saying how many it dropped.
/// </summary>
internal static class QueryEndpoints
{
    private const int MaxDays = 3 * 366;

    public static IEndpointRouteBuilder MapQuery(this IEndpointRouteBuilder routes)
    {
        var query = routes.MapGroup("/query/{product}")
            .RequireAuthorization(TokenAuthentication.ReaderPolicy)
            .WithTags("Query");

        query.MapGet("/events", EventsAsync)
            .WithSummary("Events and distinct installs over time")
            .Produces<QueryResult<PeriodRow>>();
        query.MapGet("/events/by/{property}", ByPropertyAsync)
            .WithSummary("Events grouped by a declared property")
            .Produces<QueryResult<GroupRow>>();
        query.MapGet("/installs", InstallsAsync)
            .WithSummary("Distinct installs per day, week or month")
            .Produces<QueryResult<InstallRow>>();
        query.MapGet("/ratio", RatioAsync)
            .WithSummary("How often one event happens relative to another, optionally per value of a property both declare")
            .Produces<QueryResult<RatioRow>>();
        query.MapGet("/durations", DurationsAsync)
            .WithSummary("Duration percentiles (p50, p90, p99) of a measurement")
            .Produces<QueryResult<DurationRow>>();
        query.MapGet("/shares/{dimension}", SharesAsync)
            .WithSummary("The share of installs per version, os, runtime or country")
            .Produces<QueryResult<ShareRow>>();
        query.MapGet("/exceptions", ExceptionsAsync)
            .WithSummary("The most frequent exception signatures of an event")
            .Produces<QueryResult<SignatureRow>>();
        query.MapGet("/raw", RawAsync)
            .WithSummary("Raw events, for export; every call is written to the audit log")
            .Produces<QueryResult<RawRow>>();
        return routes;
    }

    private static async Task<IResult> EventsAsync(
        [AsParameters] QueryParameters p, string? interval, ProductCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        if (Resolve(p, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        if (ParseInterval(interval, Interval.Day) is not { } period)
        {
            return BadInterval();
        }

        var rows = await store.CountEventsAsync(filter, period, cancellationToken);
        return Respond(p, product, filter, rows, r => r.Installs, r => new PeriodRow(r.Period, r.Events, r.Installs), "period", "events", "installs");
    }

    private static async Task<IResult> ByPropertyAsync(
        [AsParameters] QueryParameters p, string property, ProductCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        if (Resolve(p, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        var field = product.FindFields(p.Event, property).FirstOrDefault();
        if (field is null || field.IsMeasurement)
        {
            return TypedResults.BadRequest(field is null
                ? $"no event{(p.Event is null ? "" : $" '{p.Event}'")} declares a property '{property}'"
                : $"'{property}' is a measurement; use /durations");
        }

        var rows = await store.CountByPropertyAsync(filter, property, cancellationToken);
        return Respond(p, product, filter, rows, r => r.Installs, r => new GroupRow(r.Value, r.Events, r.Installs), "value", "events", "installs");
    }

    private static async Task<IResult> InstallsAsync(
        [AsParameters] QueryParameters p, string? interval, ProductCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        if (Resolve(p, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        if (ParseInterval(interval, Interval.Day) is not { } period)
        {
            return BadInterval();
        }

        var rows = await store.CountEventsAsync(filter, period, cancellationToken);
        return Respond(p, product, filter, rows, r => r.Installs, r => new InstallRow(r.Period, r.Installs), "period", "installs");
    }

    private static async Task<IResult> RatioAsync(
        [AsParameters] QueryParameters p, string numerator, string denominator, string? by, ProductCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        if (Resolve(p with { Event = null }, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        foreach (var name in new[] { numerator, denominator })
        {
            if (!product.DeclaresEvent(name))
            {
                return TypedResults.BadRequest($"'{name}' is not a declared event");
            }

            if (by is not null && product.FindFields(name, by).FirstOrDefault() is not { IsMeasurement: false })
            {
                return TypedResults.BadRequest($"event '{name}' declares no property '{by}'");
            }
        }

        IReadOnlyList<GroupCount> top, bottom;
        if (by is null)
        {
            top = [.. (await store.CountEventsAsync(filter with { Event = numerator }, Interval.Total, cancellationToken)).Select(r => new GroupCount("", r.Events, r.Installs))];
            bottom = [.. (await store.CountEventsAsync(filter with { Event = denominator }, Interval.Total, cancellationToken)).Select(r => new GroupCount("", r.Events, r.Installs))];
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
        var result = new QueryResult<RatioRow>(product.Record.Name, filter.From, filter.To, k, suppressed, [.. rows.OrderByDescending(r => r.Rate)]);
        return Csv.Respond(p.Http.Request, p.Format, result, "group", "numerator", "denominator", "rate");
    }

    private static async Task<IResult> DurationsAsync(
        [AsParameters] QueryParameters p, string measurement, string? interval, ProductCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        if (Resolve(p, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        if (p.Event is null || product.FindFields(p.Event, measurement).FirstOrDefault() is not { Kind: FieldKind.Duration })
        {
            return TypedResults.BadRequest($"'event' must name an event that declares the duration '{measurement}'");
        }

        if (ParseInterval(interval, Interval.Total) is not { } period)
        {
            return BadInterval();
        }

        var installs = (await store.CountEventsAsync(filter, period, cancellationToken)).ToDictionary(r => r.Period, r => r.Installs);
        var histogram = await store.GetDurationHistogramAsync(filter, measurement, period, cancellationToken);
        var rows = new List<DurationRow>();
        var suppressed = 0;
        foreach (var group in histogram.GroupBy(h => h.Period))
        {
            if (installs.GetValueOrDefault(group.Key) < product.Record.KThreshold)
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

        var result = new QueryResult<DurationRow>(product.Record.Name, filter.From, filter.To, product.Record.KThreshold, suppressed, rows);
        return Csv.Respond(p.Http.Request, p.Format, result, "period", "count", "p50", "p90", "p99");
    }

    private static async Task<IResult> SharesAsync(
        [AsParameters] QueryParameters p, string dimension, ProductCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        if (Resolve(p, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        if (!Enum.TryParse<ContextDimension>(dimension, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
        {
            return TypedResults.BadRequest("the dimension must be version, os, runtime or country");
        }

        var total = (await store.CountEventsAsync(filter, Interval.Total, cancellationToken)).Sum(r => r.Installs);
        var groups = await store.CountByContextAsync(filter, parsed, cancellationToken);
        var ordered = groups.OrderByDescending(g => g.Installs).ThenBy(g => g.Value, StringComparer.Ordinal).ToList();
        return Respond(p, product, filter, ordered, g => g.Installs, g => new ShareRow(g.Value, g.Installs, total == 0 ? 0 : (double)g.Installs / total), "value", "installs", "share");
    }

    private static async Task<IResult> ExceptionsAsync(
        [AsParameters] QueryParameters p, string? property, int? top, ProductCatalog catalog, IEventStore store, CancellationToken cancellationToken)
    {
        if (Resolve(p, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        var field = p.Event is null
            ? null
            : property is null
                ? product.Revisions.Values.Reverse().Select(m => m.Find(p.Event)).OfType<EventDefinition>().SelectMany(e => e.Fields).FirstOrDefault(f => f.Kind is FieldKind.Stack)
                : product.FindFields(p.Event, property).FirstOrDefault(f => f.Kind is FieldKind.Stack);
        if (field is null)
        {
            return TypedResults.BadRequest("'event' must name an event that declares a stack property (name it with 'property' if it has several)");
        }

        var rows = (await store.CountByPropertyAsync(filter, field.Name, cancellationToken)).ToList();
        var limit = Math.Clamp(top ?? 10, 1, 1000);
        var k = product.Record.KThreshold;
        var shown = rows.Where(r => r.Installs >= k).Take(limit).Select(r => new SignatureRow(r.Value, r.Events, r.Installs)).ToList();
        var result = new QueryResult<SignatureRow>(product.Record.Name, filter.From, filter.To, k, rows.Count(r => r.Installs < k), shown);
        return Csv.Respond(p.Http.Request, p.Format, result, "signature", "events", "installs");
    }

    private static async Task<IResult> RawAsync(
        [AsParameters] QueryParameters p, int? limit, ClaimsPrincipal user, ProductCatalog catalog, IEventStore store, AuditLog audit, CancellationToken cancellationToken)
    {
        if (Resolve(p, catalog, out var product, out var filter) is { } problem)
        {
            return problem;
        }

        var max = Math.Clamp(limit ?? 1000, 1, 100_000);
        var events = await store.ReadRawAsync(filter, max, cancellationToken);
        await audit.RecordAsync(user, "raw.read", product.Record.Name,
            $"{events.Count} raw events from {filter.From:yyyy-MM-dd} to {filter.To:yyyy-MM-dd}{(filter.Event is null ? "" : $" of '{filter.Event}'")}", cancellationToken);
        var rows = events.Select(e => new RawRow(
            e.Id, e.Name, e.Revision, e.Time, e.Install, e.Context.Version, e.Context.Os, e.Context.Runtime, e.Context.Ci, e.Context.Country, e.Properties, e.Measurements)).ToList();
        var result = new QueryResult<RawRow>(product.Record.Name, filter.From, filter.To, product.Record.KThreshold, 0, rows);
        return Csv.Respond(p.Http.Request, p.Format, result, "id", "event", "revision", "time", "install", "version", "os", "runtime", "ci", "country", "properties", "measurements");
    }

    private static Interval? ParseInterval(string? text, Interval fallback) =>
        text is null ? fallback
        : Enum.TryParse<Interval>(text, ignoreCase: true, out var interval) && Enum.IsDefined(interval) && !char.IsDigit(text[0]) ? interval
        : null;

    private static BadRequest<string> BadInterval() => TypedResults.BadRequest("'interval' must be day, week, month or total");

    private static IResult Respond<TIn, TRow>(
        QueryParameters p, CatalogProduct product, EventFilter filter, IReadOnlyList<TIn> rows, Func<TIn, long> installs, Func<TIn, TRow> map, params string[] header)
        where TRow : ICsvRow
    {
        var k = product.Record.KThreshold;
        var shown = rows.Where(r => installs(r) >= k).Select(map).ToList();
        var result = new QueryResult<TRow>(product.Record.Name, filter.From, filter.To, k, rows.Count - shown.Count, shown);
        return Csv.Respond(p.Http.Request, p.Format, result, header);
    }

    private static IResult? Resolve(QueryParameters p, ProductCatalog catalog, out CatalogProduct product, out EventFilter filter)
    {
        product = null!;
        filter = null!;
        if (catalog.Find(p.Product) is not { } found)
        {
            return TypedResults.NotFound($"no product '{p.Product}'");
        }

        var today = DateOnly.FromDateTime(p.Time.GetUtcNow().UtcDateTime);
        var to = p.To ?? today;
        var from = p.From ?? to.AddDays(-29);
        if (from > to || to.DayNumber - from.DayNumber > MaxDays)
        {
            return TypedResults.BadRequest($"'from' must not be after 'to', and the range must be at most {MaxDays} days");
        }

        if (p.Event is not null && !found.DeclaresEvent(p.Event))
        {
            return TypedResults.BadRequest($"'{p.Event}' is not a declared event of '{p.Product}'");
        }

        product = found;
        filter = new EventFilter(found.Record.Name, from, to, p.Event, p.Version, p.Os, p.Ci);
        return null;
    }
}

/// <summary>The parameters every query takes.</summary>
internal sealed record QueryParameters
{
    /// <summary>The product (route).</summary>
    [FromRoute]
    public required string Product { get; init; }

    /// <summary>The first UTC day included (default: 29 days before <see cref="To"/>).</summary>
    [FromQuery]
    public DateOnly? From { get; init; }

    /// <summary>The last UTC day included (default: today).</summary>
    [FromQuery]
    public DateOnly? To { get; init; }

    /// <summary>Only this event.</summary>
    [FromQuery]
    public string? Event { get; init; }

    /// <summary>Only this product version.</summary>
    [FromQuery]
    public string? Version { get; init; }

    /// <summary>Only this OS family.</summary>
    [FromQuery]
    public string? Os { get; init; }

    /// <summary>Only CI runs (true) or only runs outside CI (false).</summary>
    [FromQuery]
    public bool? Ci { get; init; }

    /// <summary><c>json</c> (default) or <c>csv</c>.</summary>
    [FromQuery]
    public string? Format { get; init; }

    /// <summary>The request.</summary>
    public required HttpContext Http { get; init; }

    /// <summary>The clock that says what today is.</summary>
    [FromServices]
    public required TimeProvider Time { get; init; }
}
