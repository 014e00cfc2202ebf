using System.Text.Json;
using Candor.Collector.Access;
using Candor.Collector.Dashboard;
using Candor.Collector.Ingestion;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.Retention;

/// <summary>
/// Deletion on request (<see cref="ProtocolConstants.DeletePath"/>): the product's ingestion key plus the install
/// ID delete every raw event of that install, and the rollup rows that name it. Knowing the random install ID is
/// the proof of ownership: only the machine that holds it can ask.
/// </summary>
internal static class DeletionEndpoints
{
    public static IEndpointRouteBuilder MapDeletion(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("")
            .RequireRateLimiting(IngestionSetup.PerKeyPolicy)
            .WithTags("Ingestion")
            .MapPost(ProtocolConstants.DeletePath, DeleteAsync);
        return routes;
    }

    private static async Task<Results<JsonHttpResult<DeleteInstallResponse>, JsonHttpResult<ProblemResponse>>> DeleteAsync(
        HttpContext http,
        CredentialService credentials,
        ProductCatalog catalog,
        IEventStore store,
        AuditLog audit,
        ProductViews views,
        CollectorMetrics metrics,
        ILogger<DeleteInstallRequest> logger,
        CancellationToken cancellationToken)
    {
        var (product, keyProblem) = IngestionKey.Resolve(http.Request, credentials, catalog);
        if (keyProblem is not null)
        {
            return IngestionEndpoints.Refuse(keyProblem, metrics, logger);
        }

        var (body, bodyProblem) = await BatchReader.ReadAsync(http.Request, cancellationToken);
        using var bodyBuffer = body;
        if (bodyProblem is not null)
        {
            return IngestionEndpoints.Refuse(bodyProblem, metrics, logger);
        }

        DeleteInstallRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body!.Memory.Span, ProtocolJsonContext.Default.DeleteInstallRequest);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null || request.Install == Guid.Empty)
        {
            return IngestionEndpoints.Refuse(new RequestProblem(StatusCodes.Status400BadRequest, RejectionReasons.Malformed,
                "the body must be {\"install\": \"<install UUID>\"}"), metrics, logger);
        }

        var name = product!.Record.Name;
        var deleted = await store.DeleteInstallAsync(name, request.Install, CancellationToken.None);
        CollectorLog.InstallDeleted(logger, name, deleted);

        // The dashboard's kept pages count the install too; the next page is computed without it.
        views.Forget(name);

        // The audit names the product and the count, never the install: keeping the ID would undo the deletion.
        await audit.RecordAsync("ingestion key", "install.delete", name, $"{deleted} raw events of one install", CancellationToken.None);
        return TypedResults.Json(new DeleteInstallResponse { Deleted = deleted }, ProtocolJsonContext.Default.DeleteInstallResponse);
    }
}
