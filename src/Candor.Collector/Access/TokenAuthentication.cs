using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Access;

/// <summary>The authentication scheme and policies for people's tokens (<c>Authorization: Bearer …</c>).</summary>
internal static class TokenAuthentication
{
    public const string Scheme = "CandorToken";
    public const string AdminPolicy = "admin";
    public const string ReaderPolicy = "reader";
    public const string CredentialIdClaim = "candor:credential";

    /// <summary>Who did something, as the audit log names them.</summary>
    public static string Actor(ClaimsPrincipal user) =>
        $"token {user.FindFirstValue(CredentialIdClaim) ?? "?"} ({user.Identity?.Name ?? "?"})";
}

/// <summary>Accepts reader and admin tokens; ingestion keys are write-only and never authenticate a person.</summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CredentialService credentials,
    RefusedCredentials refusals)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var credential = credentials.Find(header["Bearer ".Length..].Trim());
        if (credential is null || credential.Role is CredentialRole.Ingestion)
        {
            refusals.Record(Context, RefusedCredentials.Token, credential is null ? "unknown" : "an ingestion key is not a token", credential);
            return Task.FromResult(AuthenticateResult.Fail("unknown token"));
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, credential.Name),
                new Claim(ClaimTypes.Role, credential.Role.ToString()),
                new Claim(TokenAuthentication.CredentialIdClaim, credential.Id.ToString(CultureInfo.InvariantCulture)),
            ],
            TokenAuthentication.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), TokenAuthentication.Scheme)));
    }

    // A live token without the rights for the route (a reader's token on /admin): refused as much as an unknown one.
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var id = Context.User.FindFirstValue(TokenAuthentication.CredentialIdClaim);
        var credential = credentials.Live.FirstOrDefault(c => c.Id.ToString(CultureInfo.InvariantCulture) == id);
        refusals.Record(Context, RefusedCredentials.Token, "not allowed here", credential);
        return base.HandleForbiddenAsync(properties);
    }
}
