using System.Security.Claims;
using Candor.Collector.Access;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Candor.Collector.Query;

/// <summary>
/// The query API (reader token; the raw export, admin token). Everything but the raw export reads the daily rollups,
/// and every answer drops the groups that fewer than the product's k distinct installs are in, saying how many it dropped.
/// </summary>
internal static class QueryEndpoints
{
    public static IEndpointRouteBuilder MapQuery(this IEndpointRouteBuilder routes)
    {
        var query = routes.MapGroup("/query/{product}")
            .RequireAuthorization(TokenAuthentication.ReaderPolicy)
            .AddEndpointFilter(ProductAccess.RequireProductAsync)
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
        // Raw rows carry install IDs and every stored value, with no group hidden: an export for administrators only.
        query.MapGet("/raw", RawAsync)
            .RequireAuthorization(TokenAuthentication.AdminPolicy)
            .WithSummary("Raw events, for export by an administrator; every call is written to the audit log")
            .Produces<QueryResult<RawRow>>();
        return routes;
    }

    private static async Task<IResult> EventsAsync(
        [AsParameters] QueryParameters p, string? interval, QueryService queries, CancellationToken cancellationToken)
    {
        if (queries.Resolve(p.Arguments, out var scope) is { } problem)
        {
            return problem.ToResult();
        }

        if (ParseInterval(interval, Interval.Day) is not { } period)
        {
            return BadInterval();
        }

        return Csv.Respond(p.Http.Request, p.Format, await queries.EventsAsync(scope, period, cancellationToken), "period", "events", "installs");
    }

    private static async Task<IResult> ByPropertyAsync(
        [AsParameters] QueryParameters p, string property, QueryService queries, CancellationToken cancellationToken) =>
        queries.Resolve(p.Arguments, out var scope) is { } problem
            ? problem.ToResult()
            : Respond(p, await queries.ByPropertyAsync(scope, property, cancellationToken), "value", "events", "installs");

    private static async Task<IResult> InstallsAsync(
        [AsParameters] QueryParameters p, string? interval, QueryService queries, CancellationToken cancellationToken)
    {
        if (queries.Resolve(p.Arguments, out var scope) is { } problem)
        {
            return problem.ToResult();
        }

        if (ParseInterval(interval, Interval.Day) is not { } period)
        {
            return BadInterval();
        }

        return Csv.Respond(p.Http.Request, p.Format, await queries.InstallsAsync(scope, period, cancellationToken), "period", "installs");
    }

    private static async Task<IResult> RatioAsync(
        [AsParameters] QueryParameters p, string numerator, string denominator, string? by, QueryService queries, CancellationToken cancellationToken) =>
        queries.Resolve(p.Arguments with { Event = null }, out var scope) is { } problem
            ? problem.ToResult()
            : Respond(p, await queries.RatioAsync(scope, numerator, denominator, by, cancellationToken), "group", "numerator", "denominator", "rate");

    private static async Task<IResult> DurationsAsync(
        [AsParameters] QueryParameters p, string measurement, string? interval, QueryService queries, CancellationToken cancellationToken)
    {
        if (queries.Resolve(p.Arguments, out var scope) is { } problem)
        {
            return problem.ToResult();
        }

        if (ParseInterval(interval, Interval.Total) is not { } period)
        {
            return BadInterval();
        }

        return Respond(p, await queries.DurationsAsync(scope, measurement, period, cancellationToken), "period", "count", "p50", "p90", "p99");
    }

    private static async Task<IResult> SharesAsync(
        [AsParameters] QueryParameters p, string dimension, QueryService queries, CancellationToken cancellationToken)
    {
        if (queries.Resolve(p.Arguments, out var scope) is { } problem)
        {
            return problem.ToResult();
        }

        if (!Enum.TryParse<ContextDimension>(dimension, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(dimension[0]))
        {
            return TypedResults.BadRequest("the dimension must be version, os, runtime, country, container or ci");
        }

        return Csv.Respond(p.Http.Request, p.Format, await queries.SharesAsync(scope, parsed, cancellationToken), "value", "installs", "share");
    }

    private static async Task<IResult> ExceptionsAsync(
        [AsParameters] QueryParameters p, string? property, int? top, QueryService queries, CancellationToken cancellationToken) =>
        queries.Resolve(p.Arguments, out var scope) is { } problem
            ? problem.ToResult()
            : Respond(p, await queries.ExceptionsAsync(scope, property, top ?? 10, cancellationToken), "signature", "events", "installs");

    private static async Task<IResult> RawAsync(
        [AsParameters] QueryParameters p, int? limit, ClaimsPrincipal user, QueryService queries, CancellationToken cancellationToken)
    {
        if (queries.Resolve(p.Arguments, out var scope) is { } problem)
        {
            return problem.ToResult();
        }

        var result = await queries.RawAsync(scope, limit ?? 1000, user, cancellationToken);
        return Csv.Respond(p.Http.Request, p.Format, result, "id", "event", "revision", "time", "install", "version", "os", "runtime", "ci", "country", "properties", "measurements",
            "osVersion", "arch", "host", "container", "wsl", "interactive");
    }

    private static Interval? ParseInterval(string? text, Interval fallback) =>
        text is null ? fallback
        : Enum.TryParse<Interval>(text, ignoreCase: true, out var interval) && Enum.IsDefined(interval) && !char.IsDigit(text[0]) ? interval
        : null;

    private static BadRequest<string> BadInterval() => TypedResults.BadRequest("'interval' must be day, week, month or total");

    private static IResult Respond<TRow>(QueryParameters p, QueryAnswer<TRow> answer, params string[] header)
        where TRow : ICsvRow =>
        answer.Problem is { } problem ? problem.ToResult() : Csv.Respond(p.Http.Request, p.Format, answer.Result!, header);
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

    /// <summary>What the query service takes.</summary>
    public QueryArguments Arguments => new(Product, From, To, Event, Version, Os, Ci);
}
