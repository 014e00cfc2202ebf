using System.Security.Claims;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Candor.Collector.Access;

/// <summary>Admin endpoints for people's tokens and the audit log.</summary>
internal static class AccessEndpoints
{
    public static IEndpointRouteBuilder MapAccess(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin")
            .RequireAuthorization(TokenAuthentication.AdminPolicy)
            .WithTags("Admin");

        admin.MapPost("/tokens", CreateTokenAsync);
        admin.MapGet("/tokens", ListTokens);
        admin.MapDelete("/tokens/{id:long}", RevokeTokenAsync);
        admin.MapGet("/audit", ReadAuditAsync);
        return routes;
    }

    private static async Task<Results<Created<CreatedSecret>, BadRequest<string>>> CreateTokenAsync(
        CreateTokenRequest request, HttpContext http, ClaimsPrincipal user, CredentialService credentials, ProductCatalog catalog, AuditLog audit, ILogger<CredentialService> logger, CancellationToken cancellationToken)
    {
        CredentialRole? role = request.Role switch
        {
            "reader" => CredentialRole.Reader,
            "admin" => CredentialRole.Admin,
            _ => null,
        };
        if (role is null)
        {
            return Refuse(logger, http, "'role' must be 'reader' or 'admin'");
        }

        // A reader reads the products it was made for, and only those; an admin reads every product.
        var products = (request.Products ?? []).Select(p => p?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToList();
        if (role is CredentialRole.Reader && products.Count == 0)
        {
            return Refuse(logger, http, "a reader token is made for named products: give 'products', e.g. [\"kmpkg\"]");
        }

        if (role is CredentialRole.Admin && products.Count > 0)
        {
            return Refuse(logger, http, "an admin token reads every product: leave 'products' out");
        }

        if (products.FirstOrDefault(p => catalog.Find(p) is null) is { } unknown)
        {
            return Refuse(logger, http, $"no product '{unknown}' is registered here (GET /admin/products lists them)");
        }

        var name = string.IsNullOrWhiteSpace(request.Name) ? request.Role! : request.Name.Trim();
        var (credential, secret) = await credentials.CreateAsync(role.Value, products.Count == 0 ? null : ProductAccess.Join(products), name, cancellationToken);
        var scope = products.Count == 0 ? "" : $" for {string.Join(", ", products)}";
        await audit.RecordAsync(user, "token.create", $"token {credential.Id}", $"{request.Role} token '{name}'{scope}", cancellationToken);
        return TypedResults.Created($"/admin/tokens/{credential.Id}", new CreatedSecret(credential.Id, request.Role!, name, null, secret, products.Count == 0 ? null : products));
    }

    // A 400 that names the problem, in the answer and in the log.
    private static BadRequest<string> Refuse(ILogger logger, HttpContext http, string problem)
    {
        CollectorLog.AdminRequestRefused(logger, http.Request.Method, http.Request.Path.Value ?? "", problem);
        return TypedResults.BadRequest(problem);
    }

    private static Ok<IEnumerable<CredentialInfo>> ListTokens(CredentialService credentials) =>
        TypedResults.Ok(credentials.Live.Where(c => c.Role is not CredentialRole.Ingestion).Select(CredentialInfo.From));

    private static async Task<Results<NoContent, NotFound<string>, ProblemHttpResult>> RevokeTokenAsync(
        long id, ClaimsPrincipal user, CredentialService credentials, AuditLog audit, CancellationToken cancellationToken)
    {
        var target = credentials.Live.FirstOrDefault(c => c.Id == id && c.Role is not CredentialRole.Ingestion);
        if (target is null)
        {
            return TypedResults.NotFound($"no live reader or admin token has ID {id} (GET /admin/tokens lists them)");
        }

        // Without an admin token nobody could administer the collector (nor revoke anything) until a restart made one.
        if (target.Role is CredentialRole.Admin && !credentials.Live.Any(c => c.Role is CredentialRole.Admin && c.Id != id))
        {
            return TypedResults.Problem("this is the last admin token: create another admin token first, then revoke this one", statusCode: StatusCodes.Status409Conflict);
        }

        if (!await credentials.RevokeAsync(id, cancellationToken))
        {
            return TypedResults.NotFound($"no live reader or admin token has ID {id} (GET /admin/tokens lists them)");
        }

        await audit.RecordAsync(user, "token.revoke", $"token {id}", target.Name, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<AuditEntry>>> ReadAuditAsync(ICatalogueStore store, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetAuditAsync(Math.Clamp(limit ?? 100, 1, 10_000), cancellationToken));
}

/// <summary>Asks for a person's token.</summary>
/// <param name="Role"><c>reader</c> (the query API and dashboard of its products) or <c>admin</c> (everything).</param>
/// <param name="Name">Whose token it is, for the audit log.</param>
/// <param name="Products">For a reader: the products it may read (required). An admin reads every product.</param>
internal sealed record CreateTokenRequest(string? Role, string? Name, IReadOnlyList<string?>? Products = null);

/// <summary>
/// A credential just created, with its secret: the only time the secret is shown. <c>Product</c> is an ingestion
/// key's product, <c>Products</c> a reader token's.
/// </summary>
internal sealed record CreatedSecret(long Id, string Role, string Name, string? Product, string Secret, IReadOnlyList<string>? Products = null);

/// <summary>A credential without its secret: an ingestion key's product, or a reader token's products.</summary>
internal sealed record CredentialInfo(long Id, string Role, string Name, string? Product, DateTimeOffset Created, IReadOnlyList<string>? Products)
{
    public static CredentialInfo From(CredentialRecord c) => c.Role is CredentialRole.Reader
        ? new(c.Id, RoleName(c.Role), c.Name, null, c.Created, ProductAccess.Products(c))
        : new(c.Id, RoleName(c.Role), c.Name, c.Product, c.Created, null);

    public static string RoleName(CredentialRole role) => role switch
    {
        CredentialRole.Ingestion => "ingestion",
        CredentialRole.Reader => "reader",
        _ => "admin",
    };
}
