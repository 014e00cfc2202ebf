using System.Globalization;
using System.Security.Claims;
using Candor.Collector.Storage;

namespace Candor.Collector.Access;

/// <summary>
/// Which products a person's token may read: an admin token every product, a reader token the products it was made
/// for (kept, comma-separated, in the credential's product field). Asked of the live credentials, so a revoked token
/// reads nothing, and shared by the query API and the dashboard.
/// </summary>
internal static class ProductAccess
{
    private const char Separator = ',';

    /// <summary>Whether <paramref name="user"/> may read <paramref name="product"/>'s figures.</summary>
    public static bool Allows(ClaimsPrincipal user, CredentialService credentials, string product)
    {
        var id = user.FindFirstValue(TokenAuthentication.CredentialIdClaim);
        var credential = credentials.Live.FirstOrDefault(c => c.Id.ToString(CultureInfo.InvariantCulture) == id);
        return credential?.Role switch
        {
            CredentialRole.Admin => true,
            CredentialRole.Reader => Products(credential).Contains(product, StringComparer.Ordinal),
            _ => false,
        };
    }

    /// <summary>The products a reader credential was made for; empty for any other.</summary>
    public static IReadOnlyList<string> Products(CredentialRecord credential) =>
        credential.Role is CredentialRole.Reader && credential.Product is { } list
            ? list.Split(Separator, StringSplitOptions.RemoveEmptyEntries)
            : [];

    /// <summary>How a reader credential keeps its products.</summary>
    public static string Join(IEnumerable<string> products) => string.Join(Separator, products);

    /// <summary>A query API filter: 403 for a product the token was not made for.</summary>
    public static async ValueTask<object?> RequireProductAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.GetRouteValue("product") is string product
            && !Allows(http.User, http.RequestServices.GetRequiredService<CredentialService>(), product))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "forbidden",
                detail: $"this token was not made for product '{product}'; an admin can make one that is (POST /admin/tokens with \"products\")");
        }

        return await next(context);
    }
}
