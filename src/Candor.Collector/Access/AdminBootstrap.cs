using Candor.Collector.Operations;
using Candor.Collector.Storage;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Access;

/// <summary>
/// Makes sure someone can administer the collector: accepts the configured admin token, or on the very first
/// start (no admin credential at all) creates one and prints it once. It is never printed again. A configured
/// token that was revoked stays revoked: the start goes on without it and says so, and only when no admin token
/// is left at all is a new one created, as on a first start.
/// </summary>
internal sealed class AdminBootstrap(
    CredentialService credentials,
    IOptions<AccessOptions> options,
    CollectorConsole console,
    ILogger<AdminBootstrap> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.AdminToken;
        if (configured is not null)
        {
            if (await credentials.RevokedAtAsync(configured, cancellationToken) is not { } revoked)
            {
                if (credentials.Find(configured) is null)
                {
                    await credentials.AddAsync(configured, CredentialRole.Admin, null, "configured admin token", cancellationToken);
                }

                console.AdminToken = "Admin token: the one set in configuration (Access:AdminToken).";
                return;
            }

            CollectorLog.ConfiguredAdminTokenRevoked(logger, revoked);
            if (credentials.Live.Any(c => c.Role is CredentialRole.Admin))
            {
                console.AdminToken = $"Admin token: the one set in configuration (Access:AdminToken) was revoked on {revoked:yyyy-MM-dd} and is refused; remove it from configuration and use another admin token.";
                return;
            }
        }

        if (credentials.Live.Any(c => c.Role is CredentialRole.Admin))
        {
            console.AdminToken = "Admin token: created on first start and shown then; set Access:AdminToken to add one from configuration.";
            return;
        }

        var (credential, secret) = await credentials.CreateAsync(CredentialRole.Admin, null, "first-start admin token", cancellationToken);
        CollectorLog.AdminTokenCreated(logger, credential.Id);
        console.AdminToken = $"""
            Admin token (shown once, store it now): {secret}
              Use it as 'Authorization: Bearer <token>' on /admin; it is stored only as a hash.
            """;
    }
}
