using System.Text.Json;
using System.Text.Json.Serialization;
using Candor.Collector.Access;
using Candor.Collector.Ingestion;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Protocol;

namespace Candor.Collector.Interop;

/// <summary>
/// The track endpoint Application Insights SDKs (2.x) and the Azure Monitor exporter post to: <c>/v2/track</c> and
/// <c>/v2.1/track</c>, a JSON array or newline-delimited JSON of envelopes, gzip or not. The envelopes'
/// instrumentation key is the product's ingestion key. The answer is the shape those clients read:
/// <c>{"itemsReceived":n,"itemsAccepted":m,"errors":[{"index":i,"statusCode":400,"message":"…"}]}</c>, with 200 when
/// every item was taken, 206 when some were refused, 400 when none could be; a refused request is 400, 413, 415,
/// 429 or 503 (these two with Retry-After), which the clients' retry logic treats as retryable or not as it should.
/// </summary>
internal static class ApplicationInsightsEndpoints
{
    private static readonly string[] MediaTypes = ["application/json", "application/x-json-stream"];

    public static IEndpointRouteBuilder MapApplicationInsights(this IEndpointRouteBuilder routes)
    {
        // The key is in the body: the per-address rate limit applies before it is read, the per-key one once it is.
        var track = routes.MapGroup("").WithTags("Application Insights");
        track.MapPost("/v2/track", TrackAsync);
        track.MapPost("/v2.1/track", TrackAsync);
        return routes;
    }

    private static async Task<IResult> TrackAsync(HttpContext http, IngestionPipeline pipeline, ForeignIngestion foreign,
        KeyInBodyRateLimit keyLimit, CredentialService credentials, ProductCatalog catalog, CancellationToken cancellationToken)
    {
        const string door = CollectorMetrics.Doors.ApplicationInsights;
        if (pipeline.Admit(http, door) is { } busy)
        {
            return Answer(busy.Status, 0, 0, []);
        }

        var (body, bodyProblem) = await BatchReader.ReadAsync(http.Request, MediaTypes, cancellationToken);
        if (bodyProblem is not null)
        {
            return Answer(pipeline.Counted(bodyProblem, door).Status, 0, 0, []);
        }

        List<string?> keys;
        List<ForeignItem> items;
        List<UnreadEnvelope> unread;
        using (body)
        {
            try
            {
                (keys, items, unread) = ApplicationInsightsReader.Read(body!.Memory);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                pipeline.Counted(new RequestProblem(StatusCodes.Status400BadRequest, RejectionReasons.Malformed, "the body is neither a JSON array of envelopes nor one envelope per line"), door);
                return Answer(StatusCodes.Status400BadRequest, 0, 0, []);
            }
        }

        // One product per request: the first envelope's key decides, and an envelope with another key is refused alone.
        var key = keys.FirstOrDefault(k => k is not null);
        var (product, keyProblem) = IngestionKey.Resolve(http.Request, key, "the envelopes' iKey (InstrumentationKey in the connection string) must be the product's ingestion key", credentials, catalog);
        if (keyProblem is not null)
        {
            pipeline.Counted(keyProblem, door);
            var all = Enumerable.Range(0, keys.Count).Select(i => new TrackError(i, StatusCodes.Status400BadRequest, keyProblem.Detail)).ToList();
            return Answer(StatusCodes.Status400BadRequest, keys.Count, 0, all);
        }

        if (keyLimit.Take(http, key!) is { } limited)
        {
            return Answer(pipeline.Counted(limited, door).Status, keys.Count, 0, []);
        }

        var refusedEarly = unread.Select(u => new ItemRefusal(u.Index, RejectionReasons.Malformed, u.Detail)).ToList();
        var mine = new List<ForeignItem>(items.Count);
        foreach (var item in items)
        {
            if (string.Equals(keys[item.Position], key, StringComparison.Ordinal))
            {
                mine.Add(item);
            }
            else
            {
                refusedEarly.Add(new ItemRefusal(item.Position, RejectionReasons.WrongProduct, "the envelope's iKey is not the one the request's first envelope carries"));
            }
        }

        var (outcome, problem) = await foreign.IngestAsync(http, product!, door, m => m.Mappings?.ApplicationInsights, mine, refusedEarly, cancellationToken);
        if (problem is not null)
        {
            return Answer(problem.Status, keys.Count, 0, []);
        }

        var errors = outcome!.Refused.Select(r => new TrackError(r.Index, StatusCodes.Status400BadRequest, $"{r.Reason}: {r.Detail}")).ToList();
        var status = errors.Count == 0 ? StatusCodes.Status200OK : outcome.Taken > 0 ? StatusCodes.Status206PartialContent : StatusCodes.Status400BadRequest;
        return Answer(status, outcome.Received, outcome.Taken, errors);
    }

    private static IResult Answer(int status, int received, int accepted, List<TrackError> errors) =>
        Results.Json(new TrackResponse(received, accepted, errors), TrackJsonContext.Default.TrackResponse, statusCode: status);
}

/// <summary>The answer Application Insights clients read after a track request.</summary>
internal sealed record TrackResponse(int ItemsReceived, int ItemsAccepted, List<TrackError> Errors);

/// <summary>One refused envelope: its index in the request, the status that tells the client whether to retry it, and why.</summary>
internal sealed record TrackError(int Index, int StatusCode, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TrackResponse))]
internal sealed partial class TrackJsonContext : JsonSerializerContext;
