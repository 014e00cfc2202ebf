namespace Candor.Identity;

/// <summary>One product's identity on this machine, as kept in <c>products/{id}/identity.json</c> (see <see cref="IdentityJson"/>).</summary>
/// <param name="Install">The random install ID; it identifies nothing but this product's install.</param>
/// <param name="FirstUse">When telemetry was first on for the product here (UTC).</param>
/// <param name="DisclosureVersion">The highest disclosure version shown to the user; 0 when none was.</param>
/// <param name="Secret">
/// The install secret (<see cref="InstallSecret"/>): 64 lower-case hex characters that never leave the machine. It keys
/// every hash the product sends and proves the install when its data is to be deleted. Null only in a file written
/// before Candor kept one; <see cref="IdentityStore.GetOrCreate"/> adds it.
/// </param>
internal sealed record InstallIdentity(Guid Install, DateTimeOffset FirstUse, int DisclosureVersion, string? Secret = null)
{
    /// <summary>
    /// The install IDs a <c>reset-id</c> replaced, newest last, each with the deletion proof of its secret (the secret
    /// itself is gone), so <c>candor forget</c> can still ask for their events to be deleted.
    /// </summary>
    public IReadOnlyList<RetiredInstall> Retired { get; init; } = [];

    /// <summary>Equal when every member is, the retired installs compared in order.</summary>
    public bool Equals(InstallIdentity? other) =>
        other is not null
        && Install == other.Install
        && FirstUse == other.FirstUse
        && DisclosureVersion == other.DisclosureVersion
        && Secret == other.Secret
        && Retired.SequenceEqual(other.Retired);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Install, FirstUse, DisclosureVersion, Secret, Retired.Count);
}

/// <summary>An install ID a reset replaced, and the deletion proof that still lets its events be deleted.</summary>
/// <param name="Install">The replaced install ID.</param>
/// <param name="DeletionProof">Its deletion proof (<see cref="InstallSecret.DeletionProof"/>), 64 lower-case hex characters.</param>
internal sealed record RetiredInstall(Guid Install, string DeletionProof);
