using System.Security.Cryptography;
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
/// Deletion on request (<see cref="ProtocolConstants.DeletePath"/>): the product's ingestion key, the install ID and
/// the install's deletion proof delete every raw event of that install, its verifier and the rollup rows that name
/// it. The ingestion key is public (every copy of the tool holds it) and an install ID may be seen by anyone who reads
/// the data, so neither proves anything: the proof is derived from a secret that never leaves the install's machine,
/// and the collector deletes only when its SHA-256 is the verifier the install's own uploads carried, compared in
/// constant time. A wrong proof, and any proof for an install the collector does not hold (or holds without a
/// verifier), get the same 403 and delete nothing, so a caller without the proof learns nothing about which installs
/// exist. Installs stored without a verifier are deleted by an administrator (<c>DELETE /admin/products/{product}/installs/{install}</c>).
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
        IEventLog store,
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

        if (request is null || request.Install == Guid.Empty || !IsProof(request.Proof))
        {
            return IngestionEndpoints.Refuse(new RequestProblem(StatusCodes.Status400BadRequest, RejectionReasons.Malformed,
                "the body must be {\"install\": \"<install UUID>\", \"proof\": \"<64 lower-case hex characters>\"}: " +
                "the install's deletion proof, which only the machine that holds its secret can make"), metrics, logger);
        }

        var name = product!.Record.Name;
        var verifier = await store.GetInstallVerifierAsync(name, request.Install, cancellationToken);
        if (!Proves(request.Proof!, verifier))
        {
            return IngestionEndpoints.Refuse(new RequestProblem(StatusCodes.Status403Forbidden, RejectionReasons.ProofMismatch,
                "nothing was deleted: the proof does not match what this collector holds for that install, or it holds nothing " +
                "the proof can delete (no events arrived, they expired or were deleted, or they were stored before deletion " +
                "proofs existed: the collector's administrator can delete those)"), metrics, logger);
        }

        var deleted = await store.DeleteInstallAsync(name, request.Install, CancellationToken.None);
        CollectorLog.InstallDeleted(logger, name, deleted);

        // The dashboard's kept pages count the install too; the next page is computed without it.
        views.Forget(name);

        // The audit names the product and the count, never the install: keeping the ID would undo the deletion.
        await audit.RecordAsync("ingestion key", "install.delete", name, $"{deleted} raw events of one install", CancellationToken.None);
        return TypedResults.Json(new DeleteInstallResponse { Deleted = deleted }, ProtocolJsonContext.Default.DeleteInstallResponse);
    }

    // A proof has the form of the verifier it hashes to: 64 lower-case hex characters.
    private static bool IsProof(string? proof) => PropertyGrammar.IsVerifier(proof);

    // SHA-256 of the proof's 32 bytes against the stored verifier. A missing verifier is compared too, against zeros,
    // so that the work done does not say whether the install is stored.
    private static bool Proves(string proof, byte[]? verifier)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Convert.FromHexString(proof), hash);
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        if (verifier is { Length: SHA256.HashSizeInBytes })
        {
            verifier.CopyTo(expected);
        }
        else
        {
            expected.Clear();
        }

        return CryptographicOperations.FixedTimeEquals(hash, expected) && verifier is not null;
    }
}
