using Candor.Collector.Access;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Protocol;

namespace Candor.Collector.Ingestion;

/// <summary>Resolves the write-only ingestion key a request carries to its product.</summary>
internal static class IngestionKey
{
    public static (CatalogProduct? Product, RequestProblem? Problem) Resolve(HttpRequest request, CredentialService credentials, ProductCatalog catalog)
    {
        var credential = credentials.Find(request.Headers[ProtocolConstants.KeyHeader].ToString());
        if (credential is not { Role: CredentialRole.Ingestion, Product: { } name } || catalog.Find(name) is not { } product)
        {
            return (null, new RequestProblem(StatusCodes.Status401Unauthorized, RejectionReasons.UnknownKey,
                $"the {ProtocolConstants.KeyHeader} header is missing or names no ingestion key"));
        }

        return (product, null);
    }
}
