using Candor.Collector.Access;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Protocol;

namespace Candor.Collector.Ingestion;

/// <summary>
/// Resolves the write-only ingestion key a request carries to its product. A refused key is counted and audited
/// (<see cref="RefusedCredentials"/>, taken from the request's services so every ingestion route gets it alike).
/// </summary>
internal static class IngestionKey
{
    public static (CatalogProduct? Product, RequestProblem? Problem) Resolve(HttpRequest request, CredentialService credentials, ProductCatalog catalog)
    {
        var credential = credentials.Find(request.Headers[ProtocolConstants.KeyHeader].ToString());
        if (credential is not { Role: CredentialRole.Ingestion, Product: { } name } || catalog.Find(name) is not { } product)
        {
            var reason = credential is null ? (request.Headers.ContainsKey(ProtocolConstants.KeyHeader) ? "unknown" : "missing")
                : credential.Role is not CredentialRole.Ingestion ? "not an ingestion key"
                : "its product is not registered";
            request.HttpContext.RequestServices.GetRequiredService<RefusedCredentials>().Record(request.HttpContext, RefusedCredentials.IngestionKey, reason, credential);
            return (null, new RequestProblem(StatusCodes.Status401Unauthorized, RejectionReasons.UnknownKey,
                $"the {ProtocolConstants.KeyHeader} header is missing or names no ingestion key"));
        }

        return (product, null);
    }
}
