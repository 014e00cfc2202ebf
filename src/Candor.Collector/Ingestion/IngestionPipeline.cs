using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Ingestion;

/// <summary>
/// The one edge every door's events pass: a batch of native wire events (the SDK's, or what the OTLP and
/// Application Insights doors translated into the same shape) is parsed, each event checked by the
/// <see cref="EventValidator"/> with the client's address reduced to a country, held under <see cref="Admission"/>,
/// stored and counted, with the door as the metrics' label.
/// </summary>
internal sealed class IngestionPipeline(
    EventValidator validator,
    ClientPlace place,
    IEventLog store,
    Admission admission,
    CollectorMetrics metrics,
    IOptions<IngestionOptions> ingestion,
    Dashboard.ProductDataVersions versions,
    ILogger<EventValidator> logger)
{
    /// <summary>
    /// Checks and stores <paramref name="batch"/>, a native batch body (<c>{"events": [...]}</c>). A refusal of the
    /// whole request (malformed, busy: then Retry-After is set) comes back as the problem, already counted.
    /// <paramref name="stamped"/> holds the positions of the items whose time is their arrival (a foreign door's items
    /// without a time of their own; see <see cref="IncomingEvent.StampedOnArrival"/>).
    /// </summary>
    public async Task<(BatchResponse? Response, RequestProblem? Problem)> StoreAsync(
        HttpContext http, CatalogProduct product, RequestBody batch, string door, int maxEvents, CancellationToken cancellationToken, IReadOnlySet<int>? stamped = null)
    {
        var started = Stopwatch.GetTimestamp();
        var (valid, rejected, problem) = Check(http, product, batch, door, maxEvents, stamped);
        batch.Dispose();
        if (problem is not null)
        {
            return (null, Counted(problem, door));
        }

        if (admission.TryHold(valid.Count) is { } full)
        {
            return (null, Counted(Busy(http, full), door));
        }

        IReadOnlyList<AppendOutcome> outcomes;
        try
        {
            outcomes = await store.AppendAsync(valid, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CollectorLog.StoreFailed(logger, product.Record.Name, ex);
            http.Response.Headers.RetryAfter = "5";
            return (null, Counted(new RequestProblem(StatusCodes.Status503ServiceUnavailable, RejectionReasons.StoreBusy, "the events could not be stored; retry later"), door));
        }
        finally
        {
            admission.Release(valid.Count);
        }

        var stored = outcomes.Count(o => o is AppendOutcome.Stored);
        if (stored > 0)
        {
            // Committed: the dashboard's pages of this product are now out of date, and its open pages reload.
            versions.Changed(product.Record.Name);
        }

        var response = new BatchResponse { Accepted = stored, Duplicates = outcomes.Count - stored, Rejected = rejected };
        metrics.Accepted(stored, response.Duplicates);
        metrics.BatchDone(Stopwatch.GetElapsedTime(started));
        CollectorLog.BatchProcessed(logger, product.Record.Name, stored, response.Duplicates, rejected.Count);
        return (response, null);
    }

    /// <summary>Whether a batch may be read at all (see <see cref="Admission.Check"/>); sets Retry-After and counts a refusal.</summary>
    public RequestProblem? Admit(HttpContext http, string door) =>
        admission.Check() is { } busy ? Counted(Busy(http, busy), door) : null;

    /// <summary>Counts and logs a refusal of a whole request.</summary>
    public RequestProblem Counted(RequestProblem problem, string door)
    {
        metrics.Rejected(problem.Reason, door);
        CollectorLog.RequestRefused(logger, problem.Status, problem.Reason);
        return problem;
    }

    // Parses and checks the batch. The parsed document is given back before the events wait for the writer, so a
    // queued request holds only its validated events.
    private (List<IncomingEvent> Valid, List<ItemRejection> Rejected, RequestProblem? Problem) Check(
        HttpContext http, CatalogProduct product, RequestBody body, string door, int maxEvents, IReadOnlySet<int>? stamped)
    {
        var rejected = new List<ItemRejection>();
        using var document = Parse(body, maxEvents, out var items, out var parseProblem);
        if (parseProblem is not null)
        {
            return ([], rejected, parseProblem);
        }

        // The address is reduced to a country here, once per request, and goes no further.
        var country = place.CountryOf(http.Connection.RemoteIpAddress);
        var valid = new List<IncomingEvent>(items.Count);

        // Almost every body is plain valid text, known at once; only the others have their items checked one by one.
        var checkText = !JsonText.IsSurelyValid(body.Memory.Span);
        for (var index = 0; index < items.Count; index++)
        {
            var (incoming, refusal, id) = ReadItem(items[index], product, country, checkText);
            if (refusal is not null)
            {
                rejected.Add(new ItemRejection { Index = index, Id = id, Reason = refusal.Reason, Detail = refusal.Detail });
                metrics.Rejected(refusal.Reason, door);
            }
            else
            {
                valid.Add(stamped?.Contains(index) == true ? incoming! with { StampedOnArrival = true } : incoming!);
            }
        }

        return (valid, rejected, null);
    }

    private static RequestProblem Busy(HttpContext http, (RequestProblem Problem, int RetryAfter) busy)
    {
        // Refused before anything of the batch is acknowledged; Retry-After says when the writer should have caught up.
        http.Response.Headers.RetryAfter = busy.RetryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return busy.Problem;
    }

    private static readonly byte[] EventsName = System.Text.Encoding.UTF8.GetBytes(WireNames.Events);
    private static readonly byte[] IdName = System.Text.Encoding.UTF8.GetBytes(WireNames.Id);

    /// <summary>
    /// The batch body parsed, with its items (each read later by <see cref="WireEventReader"/>), or why the body is
    /// refused as a whole; the caller disposes the document, which the items read.
    /// </summary>
    internal static JsonDocument? Parse(RequestBody body, int maxEvents, out List<JsonElement> items, out RequestProblem? problem)
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
            || !JsonText.TryGetMember(document.RootElement, EventsName, out var events)
            || events.ValueKind is not JsonValueKind.Array)
        {
            problem = Malformed($"the body must be an object with an '{WireNames.Events}' array");
            return document;
        }

        if (events.GetArrayLength() > maxEvents)
        {
            problem = new RequestProblem(StatusCodes.Status413PayloadTooLarge, RejectionReasons.BodyTooLarge, $"a batch holds at most {maxEvents} events");
            return document;
        }

        items.AddRange(events.EnumerateArray());
        problem = null;
        return document;
    }

    private (IncomingEvent? Event, Refusal? Refusal, Guid? Id) ReadItem(JsonElement item, CatalogProduct product, string country, bool checkText)
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

        var (incoming, refusal) = validator.Validate(e, product, country, ingestion.Value.MaxClockSkew);
        return (incoming, refusal, id);
    }

    // The ID is named in the item's rejection whenever it can be read, so the SDK can match it; an ID that is not a
    // string, or not valid text, is not read at all (both would throw).
    private static Guid? ReadId(JsonElement item, bool checkText) =>
        item.ValueKind is JsonValueKind.Object
        && JsonText.TryGetMember(item, IdName, out var element)
        && element.ValueKind is JsonValueKind.String
        && (!checkText || JsonText.Find(JsonMarshal.GetRawUtf8Value(element)) is null)
        && element.TryGetGuid(out var id)
            ? id
            : null;

    private static RequestProblem Malformed(string detail) => new(StatusCodes.Status400BadRequest, RejectionReasons.Malformed, detail);
}
