using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

// The catalogue: its writes go through the writer like every other write (one writer per file), its reads use
// their own connections and need not wait for the staged events to be folded.
internal sealed partial class SqliteEventStore
{
    private static readonly CatalogueSql Catalogue = new(SqliteDialect.Instance);

    public Task<ProductRecord> SaveProductAsync(ProductRecord product, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command(Catalogue.SaveProduct);
            Catalogue.BindProduct(cmd, product);
            return Catalogue.Saved(product, cmd.ExecuteScalar()!);
        });

    public Task<byte[]> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var insert = w.Command("INSERT INTO collector_secrets(name, value) VALUES ($name, $value) ON CONFLICT DO NOTHING");
            insert.Parameters["$name"].Value = name;
            insert.Parameters["$value"].Value = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            insert.ExecuteNonQuery();
            var read = w.Command("SELECT value FROM collector_secrets WHERE name = $name");
            read.Parameters["$name"].Value = name;
            return (byte[])read.ExecuteScalar()!;
        });

    public async Task<IReadOnlyList<ProductRecord>> GetProductsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        return await Catalogue.ReadProductsAsync(connection, cancellationToken);
    }

    public Task<bool> AddManifestAsync(ManifestRecord manifest, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command(Catalogue.AddManifest);
            Catalogue.BindManifest(cmd, w.ProductId(manifest.Product), manifest);
            return cmd.ExecuteNonQuery() == 1;
        });

    public async Task<IReadOnlyList<ManifestRecord>> GetManifestsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        return await Catalogue.ReadManifestsAsync(connection, cancellationToken);
    }

    public Task<long> AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command(Catalogue.AddCredential);
            Catalogue.BindCredential(cmd, credential);
            return (long)cmd.ExecuteScalar()!;
        });

    public async Task<IReadOnlyList<CredentialRecord>> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        return await Catalogue.ReadCredentialsAsync(connection, cancellationToken);
    }

    public async Task<DateTimeOffset?> FindRevocationAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        return await Catalogue.ReadRevocationAsync(connection, hash, cancellationToken);
    }

    public Task<bool> RevokeCredentialAsync(long id, DateTimeOffset at, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command(Catalogue.Revoke);
            Catalogue.BindRevocation(cmd, id, at);
            return cmd.ExecuteNonQuery() == 1;
        });

    public Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command(Catalogue.AppendAudit);
            Catalogue.BindAudit(cmd, entry);
            return cmd.ExecuteNonQuery();
        });

    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        return await Catalogue.ReadAuditAsync(connection, limit, cancellationToken);
    }
}
