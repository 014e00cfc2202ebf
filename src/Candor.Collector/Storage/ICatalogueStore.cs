namespace Candor.Collector.Storage;

/// <summary>
/// The catalogue: products, manifest revisions, hashed credentials, the audit log and the collector's secrets. Small,
/// changed by administrators, read at start and cached by the features that use it.
/// </summary>
internal interface ICatalogueStore
{
    /// <summary>Creates the product, or updates its retention and k threshold when it exists.</summary>
    Task<ProductRecord> SaveProductAsync(ProductRecord product, CancellationToken cancellationToken);

    /// <summary>
    /// The collector's secret of that name: 32 random bytes made by whichever collector asks first and kept in the
    /// store, so that every collector sharing the store gets the same bytes. The noise of published figures is keyed
    /// with one (<c>FigureNoise</c>); no endpoint ever shows it.
    /// </summary>
    Task<byte[]> GetSecretAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every registered product.</summary>
    Task<IReadOnlyList<ProductRecord>> GetProductsAsync(CancellationToken cancellationToken);

    /// <summary>Keeps one revision of a product's manifest. Returns <see langword="false"/> when that revision was already kept (nothing changes).</summary>
    Task<bool> AddManifestAsync(ManifestRecord manifest, CancellationToken cancellationToken);

    /// <summary>Every kept manifest revision of every product.</summary>
    Task<IReadOnlyList<ManifestRecord>> GetManifestsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a credential (only its hash) and returns its ID.</summary>
    Task<long> AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken);

    /// <summary>Every credential that has not been revoked.</summary>
    Task<IReadOnlyList<CredentialRecord>> GetCredentialsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// When the credential whose secret hashes to <paramref name="hash"/> was revoked; <see langword="null"/> when
    /// none has that hash or it is live. A revoked hash stays in the store, so the same secret is never stored twice.
    /// </summary>
    Task<DateTimeOffset?> FindRevocationAsync(byte[] hash, CancellationToken cancellationToken);

    /// <summary>Revokes a credential; <see langword="false"/> when no live credential has that ID.</summary>
    Task<bool> RevokeCredentialAsync(long id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Appends one entry to the audit log.</summary>
    Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>The newest audit entries first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> GetAuditAsync(int limit, CancellationToken cancellationToken);
}
