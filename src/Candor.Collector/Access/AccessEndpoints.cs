using System.Security.Claims;
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
        CreateTokenRequest request, ClaimsPrincipal user, CredentialService credentials, AuditLog audit, CancellationToken cancellationToken)
    {
        CredentialRole? role = request.Role switch
        {
            "reader" => CredentialRole.Reader,
            "admin" => CredentialRole.Admin,
            _ => null,
        };
        if (role is null)
        {
            return TypedResults.BadRequest("'role' must be 'reader' or 'admin'");
        }

        var name = string.IsNullOrWhiteSpace(request.Name) ? request.Role! : request.Name.Trim();
        var (credential, secret) = await credentials.CreateAsync(role.Value, null, name, cancellationToken);
        await audit.RecordAsync(user, "token.create", $"token {credential.Id}", $"{request.Role} token '{name}'", cancellationToken);
        return TypedResults.Created($"/admin/tokens/{credential.Id}", new CreatedSecret(credential.Id, request.Role!, name, null, secret));
    }

    private static Ok<IEnumerable<CredentialInfo>> ListTokens(CredentialService credentials) =>
        TypedResults.Ok(credentials.Live.Where(c => c.Role is not CredentialRole.Ingestion).Select(CredentialInfo.From));

    private static async Task<Results<NoContent, NotFound>> RevokeTokenAsync(
        long id, ClaimsPrincipal user, CredentialService credentials, AuditLog audit, CancellationToken cancellationToken)
    {
        var target = credentials.Live.FirstOrDefault(c => c.Id == id && c.Role is not CredentialRole.Ingestion);
        if (target is null || !await credentials.RevokeAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        await audit.RecordAsync(user, "token.revoke", $"token {id}", target.Name, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<AuditEntry>>> ReadAuditAsync(IEventStore store, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.GetAuditAsync(Math.Clamp(limit ?? 100, 1, 10_000), cancellationToken));
}

/// <summary>Asks for a person's token.</summary>
/// <param name="Role"><c>reader</c> (the query API) or <c>admin</c> (everything).</param>
/// <param name="Name">Whose token it is, for the audit log.</param>
internal sealed record CreateTokenRequest(string? Role, string? Name);

/// <summary>A credential just created, with its secret: the only time the secret is shown.</summary>
internal sealed record CreatedSecret(long Id, string Role, string Name, string? Product, string Secret);

/// <summary>A credential without its secret.</summary>
internal sealed record CredentialInfo(long Id, string Role, string Name, string? Product, DateTimeOffset Created)
{
    public static CredentialInfo From(CredentialRecord c) =>
        new(c.Id, RoleName(c.Role), c.Name, c.Product, c.Created);

    public static string RoleName(CredentialRole role) => role switch
    {
        CredentialRole.Ingestion => "ingestion",
        CredentialRole.Reader => "reader",
        _ => "admin",
    };
}
