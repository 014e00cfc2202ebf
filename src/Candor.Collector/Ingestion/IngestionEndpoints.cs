using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Candor.Collector.Access;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Ingestion;

/// <summary>The native batch endpoint the SDK's uploader posts to (<see cref="ProtocolConstants.BatchPath"/>).</summary>
internal static class IngestionEndpoints
{
    public static IEndpointRouteBuilder MapIngestion(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("")
            .RequireRateLimiting(IngestionSetup.PerKeyPolicy)
            .WithTags("Ingestion")
            .MapPost(ProtocolConstants.BatchPath, IngestAsync);
        return routes;
    }

    private static async Task<Results<JsonHttpResult<BatchResponse>, JsonHttpResult<ProblemResponse>>> IngestAsync(
        HttpContext http,
        CredentialService credentials,
        ProductCatalog catalog,
        EventValidator validator,
        ClientPlace place,
        IEventLog store,
        Admission admission,
        CollectorMetrics metrics,
        IOptions<IngestionOptions> ingestion,
        Dashboard.ProductDataVersions versions,
        ILogger<EventValidator> logger,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (product, keyProblem) = IngestionKey.Resolve(http.Request, credentials, catalog);
        if (keyProblem is not null)
        {
            return Refuse(keyProblem, metrics, logger);
        }

        if (admission.Check() is { } busy)
        {
            return Busy(http, busy, metrics, logger);
        }

        var (valid, rejected, problem) = await ReadBatchAsync(http, product!, place, validator, ingestion.Value, metrics, cancellationToken);
        if (problem is not null)
        {
            return Refuse(problem, metrics, logger);
        }

        if (admission.TryHold(valid.Count) is { } full)
        {
            return Busy(http, full, metrics, logger);
        }

        IReadOnlyList<AppendOutcome> outcomes;
        try
        {
            outcomes = await store.AppendAsync(valid, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CollectorLog.StoreFailed(logger, product!.Record.Name, ex);
            http.Response.Headers.RetryAfter = "5";
            return Refuse(new RequestProblem(StatusCodes.Status503ServiceUnavailable, RejectionReasons.StoreBusy, "the events could not be stored; retry later"), metrics, logger);
        }
        finally
        {
            admission.Release(valid.Count);
        }

        var stored = outcomes.Count(o => o is AppendOutcome.Stored);
        if (stored > 0)
        {
            // Committed: the dashboard's pages of this product are now out of date, and its open pages reload.
            versions.Changed(product!.Record.Name);
        }

        var response = new BatchResponse { Accepted = stored, Duplicates = outcomes.Count - stored, Rejected = rejected };
        metrics.Accepted(stored, response.Duplicates);
        metrics.BatchDone(Stopwatch.GetElapsedTime(started));
        CollectorLog.BatchProcessed(logger, product!.Record.Name, stored, response.Duplicates, rejected.Count);
        return TypedResults.Json(response, ProtocolJsonContext.Default.BatchResponse);
    }

    // Reads, parses and checks the batch. The body's buffer and the parsed document are given back before the
    // events wait for the writer, so a queued request holds only its validated events.
    private static async Task<(List<IncomingEvent> Valid, List<ItemRejection> Rejected, RequestProblem? Problem)> ReadBatchAsync(
        HttpContext http, CatalogProduct product, ClientPlace place, EventValidator validator, IngestionOptions options, CollectorMetrics metrics, CancellationToken cancellationToken)
    {
        var rejected = new List<ItemRejection>();
        var (body, bodyProblem) = await BatchReader.ReadAsync(http.Request, cancellationToken);
        using var bodyBuffer = body;
        if (bodyProblem is not null)
        {
            return ([], rejected, bodyProblem);
        }

        using var document = Parse(body!, out var items, out var parseProblem);
        if (parseProblem is not null)
        {
            return ([], rejected, parseProblem);
        }

        // The address is reduced to a country here, once per request, and goes no further.
        var country = place.CountryOf(http.Connection.RemoteIpAddress);
        var valid = new List<IncomingEvent>(items.Count);

        // Almost every body is plain valid text, known at once; only the others have their items checked one by one.
        var checkText = !JsonText.IsSurelyValid(body!.Memory.Span);
        for (var index = 0; index < items.Count; index++)
        {
            var (incoming, refusal, id) = ReadItem(items[index], product, country, validator, options, checkText);
            if (refusal is not null)
            {
                rejected.Add(new ItemRejection { Index = index, Id = id, Reason = refusal.Reason, Detail = refusal.Detail });
                metrics.Rejected(refusal.Reason);
            }
            else
            {
                valid.Add(incoming!);
            }
        }

        return (valid, rejected, null);
    }

    // Refused before anything of the batch is acknowledged; Retry-After says when the writer should have caught up.
    private static JsonHttpResult<ProblemResponse> Busy(HttpContext http, (RequestProblem Problem, int RetryAfter) busy, CollectorMetrics metrics, ILogger logger)
    {
        http.Response.Headers.RetryAfter = busy.RetryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Refuse(busy.Problem, metrics, logger);
    }

    private static JsonDocument? Parse(RequestBody body, out List<JsonElement> items, out RequestProblem? problem)
    {
        items = [];
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Memory);
        }
        catch (JsonException ex)
        {
            problem = Malformed($"the body is not JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})");
            return null;
        }

        if (document.RootElement.ValueKind is not JsonValueKind.Object
            || !JsonText.TryGetMember(document.RootElement, "events"u8, out var events)
            || events.ValueKind is not JsonValueKind.Array)
        {
            problem = Malformed("the body must be an object with an 'events' array");
            return document;
        }

        if (events.GetArrayLength() > ProtocolConstants.MaxEventsPerBatch)
        {
            problem = new RequestProblem(StatusCodes.Status413PayloadTooLarge, RejectionReasons.BodyTooLarge,
                $"a batch holds at most {ProtocolConstants.MaxEventsPerBatch} events");
            return document;
        }

        items.AddRange(events.EnumerateArray());
        problem = null;
        return document;
    }

    private static (IncomingEvent? Event, Refusal? Refusal, Guid? Id) ReadItem(
        JsonElement item, CatalogProduct product, string country, EventValidator validator, IngestionOptions options, bool checkText)
    {
        var id = ReadId(item, checkText);
        if (item.ValueKind is not JsonValueKind.Object)
        {
            return (null, new Refusal(RejectionReasons.Malformed, "the item is not a JSON object"), id);
        }

        var raw = JsonMarshal.GetRawUtf8Value(item);
        if (raw.Length > ProtocolConstants.MaxEventBytes)
        {
            return (null, new Refusal(RejectionReasons.TooLarge, $"the event is larger than {ProtocolConstants.MaxEventBytes} bytes"), id);
        }

        // Every later read of the item's strings and names throws on text that is not valid; refuse it here instead.
        if (checkText && JsonText.Find(raw) is { } textProblem)
        {
            return (null, new Refusal(RejectionReasons.Malformed, textProblem.Describe()), id);
        }

        var (e, problemPath) = WireEventReader.Read(item);
        if (problemPath is not null)
        {
            return (null, new Refusal(RejectionReasons.Malformed, $"the item does not have the event shape at {problemPath}"), id);
        }

        if (e is null || e.Name is null || e.Product is null || e.Context is null
            || e.Context.Version is null || e.Context.Os is null || e.Context.OsVersion is null
            || e.Context.Arch is null || e.Context.Runtime is null || e.Context.Host is null)
        {
            return (null, new Refusal(RejectionReasons.Malformed, "the event lacks a required member (name, product, context and its version, os, osVersion, arch, runtime, host)"), id);
        }

        var (incoming, refusal) = validator.Validate(e, product, country, options.MaxClockSkew);
        return (incoming, refusal, id);
    }

    // The ID is named in the item's rejection whenever it can be read, so the SDK can match it; an ID that is not a
    // string, or not valid text, is not read at all (both would throw).
    private static Guid? ReadId(JsonElement item, bool checkText) =>
        item.ValueKind is JsonValueKind.Object
        && JsonText.TryGetMember(item, "id"u8, out var element)
        && element.ValueKind is JsonValueKind.String
        && (!checkText || JsonText.Find(JsonMarshal.GetRawUtf8Value(element)) is null)
        && element.TryGetGuid(out var id)
            ? id
            : null;

    internal static JsonHttpResult<ProblemResponse> Refuse(RequestProblem problem, CollectorMetrics metrics, ILogger logger)
    {
        metrics.Rejected(problem.Reason);
        CollectorLog.RequestRefused(logger, problem.Status, problem.Reason);
        return TypedResults.Json(new ProblemResponse { Reason = problem.Reason, Detail = problem.Detail }, ProtocolJsonContext.Default.ProblemResponse, statusCode: problem.Status);
    }

    private static RequestProblem Malformed(string detail) => new(StatusCodes.Status400BadRequest, RejectionReasons.Malformed, detail);
}
