using System.Collections.Concurrent;
using System.Security.Cryptography;
using Candor.Collector.Storage;

namespace Candor.Collector.Access;

/// <summary>
/// Creates, finds and revokes credentials. Live credentials are held in memory by hash so that checking a key
/// on every ingestion request costs one SHA-256 and one dictionary lookup. The lookup is by hash, so its timing
/// says nothing about the secret; the final comparison is constant-time anyway.
/// </summary>
internal sealed class CredentialService(IEventStore store, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, CredentialRecord> _byHash = new(StringComparer.Ordinal);

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        _byHash.Clear();
        foreach (var credential in await store.GetCredentialsAsync(cancellationToken))
        {
            _byHash[Convert.ToHexString(credential.Hash)] = credential;
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
        var id = await store.AddCredentialAsync(record, cancellationToken);
        record = record with { Id = id };
        _byHash[Convert.ToHexString(hash)] = record;
        return record;
    }

    public async Task<bool> RevokeAsync(long id, CancellationToken cancellationToken)
    {
        var revoked = await store.RevokeCredentialAsync(id, time.GetUtcNow(), cancellationToken);
        foreach (var (hash, credential) in _byHash)
        {
            if (credential.Id == id)
            {
                _byHash.TryRemove(hash, out _);
            }
        }

        return revoked;
    }
}
