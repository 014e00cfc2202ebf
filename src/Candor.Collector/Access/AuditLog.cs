using System.Security.Claims;
using Candor.Collector.Storage;

namespace Candor.Collector.Access;

/// <summary>Writes admin actions and reads of raw data to the store's audit log, with who did it and when.</summary>
internal sealed class AuditLog(ICatalogueStore store, TimeProvider time)
{
    public Task RecordAsync(ClaimsPrincipal actor, string action, string target, string detail, CancellationToken cancellationToken) =>
        RecordAsync(TokenAuthentication.Actor(actor), action, target, detail, cancellationToken);

    public Task RecordAsync(string actor, string action, string target, string detail, CancellationToken cancellationToken) =>
        store.AppendAuditAsync(new AuditEntry(time.GetUtcNow(), actor, action, target, detail), cancellationToken);
}
