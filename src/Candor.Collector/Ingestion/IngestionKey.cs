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
    /// <summary>
    /// The key a request's headers carry: <c>X-Candor-Key</c>, or <c>Authorization: Bearer</c> as an OpenTelemetry
    /// exporter can send it (<c>OTEL_EXPORTER_OTLP_HEADERS</c>). Null when neither is there.
    /// </summary>
    public static string? FromHeaders(HttpRequest request)
    {
        if (request.Headers.TryGetValue(ProtocolConstants.KeyHeader, out var key))
        {
            return key.ToString();
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    public static (CatalogProduct? Product, RequestProblem? Problem) Resolve(HttpRequest request, CredentialService credentials, ProductCatalog catalog) =>
        Resolve(request, request.Headers.TryGetValue(ProtocolConstants.KeyHeader, out var key) ? key.ToString() : null,
            $"the {ProtocolConstants.KeyHeader} header is missing or names no ingestion key", credentials, catalog);

    /// <summary>Resolves <paramref name="secret"/> (null when the request carries none); <paramref name="refusal"/> says where the key belongs.</summary>
    public static (CatalogProduct? Product, RequestProblem? Problem) Resolve(HttpRequest request, string? secret, string refusal, CredentialService credentials, ProductCatalog catalog)
    {
        var credential = credentials.Find(secret);
        if (credential is not { Role: CredentialRole.Ingestion, Product: { } name } || catalog.Find(name) is not { } product)
        {
            var reason = credential is null ? (secret is not null ? "unknown" : "missing")
                : credential.Role is not CredentialRole.Ingestion ? "not an ingestion key"
                : "its product is not registered";
            request.HttpContext.RequestServices.GetRequiredService<RefusedCredentials>().Record(request.HttpContext, RefusedCredentials.IngestionKey, reason, credential);
            return (null, new RequestProblem(StatusCodes.Status401Unauthorized, RejectionReasons.UnknownKey, refusal));
        }

        return (product, null);
    }
}
