using Candor.Collector.Access;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

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
        IngestionPipeline pipeline,
        CancellationToken cancellationToken)
    {
        const string door = CollectorMetrics.Doors.Native;
        var (product, keyProblem) = IngestionKey.Resolve(http.Request, credentials, catalog);
        var refused = keyProblem is not null ? pipeline.Counted(keyProblem, door) : pipeline.Admit(http, door);
        if (refused is not null)
        {
            return Problem(refused);
        }

        var (body, bodyProblem) = await BatchReader.ReadAsync(http.Request, cancellationToken);
        if (bodyProblem is not null)
        {
            return Problem(pipeline.Counted(bodyProblem, door));
        }

        var (response, problem) = await pipeline.StoreAsync(http, product!, body!, door, ProtocolConstants.MaxEventsPerBatch, cancellationToken);
        return problem is not null ? Problem(problem) : TypedResults.Json(response!, ProtocolJsonContext.Default.BatchResponse);
    }

    internal static JsonHttpResult<ProblemResponse> Refuse(RequestProblem problem, CollectorMetrics metrics, ILogger logger)
    {
        metrics.Rejected(problem.Reason, CollectorMetrics.Doors.Native);
        CollectorLog.RequestRefused(logger, problem.Status, problem.Reason);
        return Problem(problem);
    }

    /// <summary>A refusal already counted, as the native protocol's problem body.</summary>
    internal static JsonHttpResult<ProblemResponse> Problem(RequestProblem problem) =>
        TypedResults.Json(new ProblemResponse { Reason = problem.Reason, Detail = problem.Detail }, ProtocolJsonContext.Default.ProblemResponse, statusCode: problem.Status);
}
