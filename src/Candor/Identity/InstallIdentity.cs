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

    /// <summary>
    /// The values derived from <see cref="Secret"/> that every recording run needs, kept beside it so that a run does
    /// not load the platform's cryptography (OpenSSL on Linux: two libraries and its configuration, tens of
    /// milliseconds) to derive them again. Null until <see cref="IdentityStore"/> derives them; never sent anywhere.
    /// </summary>
    public DerivedKeys? Keys { get; init; }

    /// <summary>The product's hash key (<see cref="InstallSecret.HashKey"/>): kept, or derived now.</summary>
    public byte[] HashKey(string product) =>
        Keys is { } keys ? Convert.FromHexString(keys.HashKey) : InstallSecret.HashKey(Secret!, product);

    /// <summary>The verifier of this install's deletion proof (<see cref="InstallSecret.Verifier"/>): kept, or derived now.</summary>
    public string Verifier(string product) =>
        Keys?.Verifier ?? InstallSecret.Verifier(InstallSecret.DeletionProof(Secret!, product, Install));

    /// <summary>This identity with its <see cref="Keys"/> derived for <paramref name="product"/> from its secret and install ID.</summary>
    public InstallIdentity WithKeys(string product) => this with
    {
        Keys = new(
            Convert.ToHexString(InstallSecret.HashKey(Secret!, product)).ToLowerInvariant(),
            InstallSecret.Verifier(InstallSecret.DeletionProof(Secret!, product, Install))),
    };

    /// <summary>Equal when every member is, the retired installs compared in order.</summary>
    public bool Equals(InstallIdentity? other) =>
        other is not null
        && Install == other.Install
        && FirstUse == other.FirstUse
        && DisclosureVersion == other.DisclosureVersion
        && Secret == other.Secret
        && Keys == other.Keys
        && Retired.SequenceEqual(other.Retired);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Install, FirstUse, DisclosureVersion, Secret, Retired.Count);
}

/// <summary>What <see cref="InstallIdentity.WithKeys"/> derives from the secret, as 64 lower-case hex characters each.</summary>
/// <param name="HashKey">The key of the product's keyed hashes.</param>
/// <param name="Verifier">The verifier of the install's deletion proof, which uploads carry.</param>
internal sealed record DerivedKeys(string HashKey, string Verifier);

/// <summary>An install ID a reset replaced, and the deletion proof that still lets its events be deleted.</summary>
/// <param name="Install">The replaced install ID.</param>
/// <param name="DeletionProof">Its deletion proof (<see cref="InstallSecret.DeletionProof"/>), 64 lower-case hex characters.</param>
internal sealed record RetiredInstall(Guid Install, string DeletionProof);
