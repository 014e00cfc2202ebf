using System.Collections.Immutable;
using System.Security.Cryptography;
using Candor.Collector.Storage;

namespace Candor.Collector.Access;

/// <summary>
/// Creates, finds and revokes credentials. Live credentials are held in memory by hash so that checking a key
/// on every ingestion request costs one SHA-256 and one dictionary lookup. The lookup is by hash, so its timing
/// says nothing about the secret; the final comparison is constant-time anyway. They are read again from the
/// store now and then (<see cref="AccessOptions.RefreshEvery"/>), so collectors sharing a database see each other's.
/// </summary>
internal sealed class CredentialService(ICatalogueStore store, TimeProvider time) : IDisposable
{
    // Changes (a load, a new credential, a revocation) take turns, so a load that read the store just before a
    // change cannot put back what the change replaced; lookups read whichever snapshot is current.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ImmutableDictionary<string, CredentialRecord> _byHash = ImmutableDictionary.Create<string, CredentialRecord>(StringComparer.Ordinal);

    /// <summary>Reads the live credentials from the store, replacing the ones held.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var loaded = ImmutableDictionary.CreateBuilder<string, CredentialRecord>(StringComparer.Ordinal);
            foreach (var credential in await store.GetCredentialsAsync(cancellationToken))
            {
                loaded[Convert.ToHexString(credential.Hash)] = credential;
            }

            _byHash = loaded.ToImmutable();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The live credential whose secret is <paramref name="secret"/>, or <see langword="null"/>.</summary>
    public CredentialRecord? Find(string? secret)
    {
        if (!Secrets.IsPlausible(secret))
        {
            return null;
        }

        var hash = Secrets.Hash(secret!);
        return _byHash.TryGetValue(Convert.ToHexString(hash), out var credential) && CryptographicOperations.FixedTimeEquals(credential.Hash, hash)
            ? credential
            : null;
    }

    /// <summary>When the credential whose secret is <paramref name="secret"/> was revoked, or <see langword="null"/> (unknown or live).</summary>
    public Task<DateTimeOffset?> RevokedAtAsync(string secret, CancellationToken cancellationToken) =>
        store.FindRevocationAsync(Secrets.Hash(secret), cancellationToken);

    public IEnumerable<CredentialRecord> Live => _byHash.Values.OrderBy(c => c.Id);

    /// <summary>Creates a credential and returns it with its secret, which is not kept anywhere.</summary>
    public async Task<(CredentialRecord Credential, string Secret)> CreateAsync(CredentialRole role, string? product, string name, CancellationToken cancellationToken)
    {
        var secret = Secrets.Create(role);
        var credential = await AddAsync(secret, role, product, name, cancellationToken);
        return (credential, secret);
    }

    /// <summary>Stores a credential for a secret chosen elsewhere (the configured admin token).</summary>
    public async Task<CredentialRecord> AddAsync(string secret, CredentialRole role, string? product, string name, CancellationToken cancellationToken)
    {
        var hash = Secrets.Hash(secret);
        var record = new CredentialRecord(0, hash, role, product, name, time.GetUtcNow());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var id = await store.AddCredentialAsync(record, cancellationToken);
            record = record with { Id = id };
            _byHash = _byHash.SetItem(Convert.ToHexString(hash), record);
            return record;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<bool> RevokeAsync(long id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var revoked = await store.RevokeCredentialAsync(id, time.GetUtcNow(), cancellationToken);
            _byHash = _byHash.RemoveRange(_byHash.Where(c => c.Value.Id == id).Select(c => c.Key));
            return revoked;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
