namespace Candor.Identity;

/// <summary>One product's identity on this machine, as kept in <c>products/{id}/identity.json</c> (see <see cref="IdentityJson"/>).</summary>
/// <param name="Install">The random install ID; it identifies nothing but this product's install.</param>
/// <param name="FirstUse">When telemetry was first on for the product here (UTC).</param>
/// <param name="DisclosureVersion">The highest disclosure version shown to the user; 0 when none was.</param>
internal sealed record InstallIdentity(Guid Install, DateTimeOffset FirstUse, int DisclosureVersion);
