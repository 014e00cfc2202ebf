using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteEventStore
{
    // ---- catalogue ----------------------------------------------------------------------------------------

    public Task<ProductRecord> SaveProductAsync(ProductRecord product, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("""
                INSERT INTO products(name, retention_months, k, created) VALUES ($name, $retention, $k, $created)
                ON CONFLICT(name) DO UPDATE SET retention_months = excluded.retention_months, k = excluded.k
                RETURNING created
                """);
            cmd.Parameters["$name"].Value = product.Name;
            cmd.Parameters["$retention"].Value = product.RetentionMonths;
            cmd.Parameters["$k"].Value = product.KThreshold;
            cmd.Parameters["$created"].Value = product.Created.ToUnixTimeMilliseconds();
            var created = (long)cmd.ExecuteScalar()!;
            return product with { Created = DateTimeOffset.FromUnixTimeMilliseconds(created) };
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
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, retention_months, k, created FROM products ORDER BY name";
        var products = new List<ProductRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            products.Add(new ProductRecord(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return products;
    }

    public Task<bool> AddManifestAsync(ManifestRecord manifest, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("""
                INSERT INTO manifests(product, revision, json, registered) VALUES ($product, $revision, $json, $registered)
                ON CONFLICT DO NOTHING
                """);
            cmd.Parameters["$product"].Value = w.ProductId(manifest.Product);
            cmd.Parameters["$revision"].Value = manifest.Revision;
            cmd.Parameters["$json"].Value = manifest.Json;
            cmd.Parameters["$registered"].Value = manifest.Registered.ToUnixTimeMilliseconds();
            return cmd.ExecuteNonQuery() == 1;
        });

    public async Task<IReadOnlyList<ManifestRecord>> GetManifestsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT p.name, m.revision, m.json, m.registered FROM manifests m JOIN products p ON p.id = m.product
            ORDER BY p.name, m.revision
            """;
        var manifests = new List<ManifestRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            manifests.Add(new ManifestRecord(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return manifests;
    }

    public Task<long> AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("""
                INSERT INTO credentials(hash, role, product, name, created) VALUES ($hash, $role, $product, $name, $created)
                RETURNING id
                """);
            cmd.Parameters["$hash"].Value = credential.Hash;
            cmd.Parameters["$role"].Value = (int)credential.Role;
            cmd.Parameters["$product"].Value = (object?)credential.Product ?? DBNull.Value;
            cmd.Parameters["$name"].Value = credential.Name;
            cmd.Parameters["$created"].Value = credential.Created.ToUnixTimeMilliseconds();
            return (long)cmd.ExecuteScalar()!;
        });

    public async Task<IReadOnlyList<CredentialRecord>> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, hash, role, product, name, created FROM credentials WHERE revoked IS NULL ORDER BY id";
        var credentials = new List<CredentialRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            credentials.Add(new CredentialRecord(
                reader.GetInt64(0),
                (byte[])reader.GetValue(1),
                (CredentialRole)reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }

        return credentials;
    }

    public async Task<DateTimeOffset?> FindRevocationAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT revoked FROM credentials WHERE hash = $hash AND revoked IS NOT NULL";
        cmd.Parameters.AddWithValue("$hash", hash);
        return await cmd.ExecuteScalarAsync(cancellationToken) is long revoked ? DateTimeOffset.FromUnixTimeMilliseconds(revoked) : null;
    }

    public Task<bool> RevokeCredentialAsync(long id, DateTimeOffset at, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("UPDATE credentials SET revoked = $at WHERE id = $id AND revoked IS NULL");
            cmd.Parameters["$at"].Value = at.ToUnixTimeMilliseconds();
            cmd.Parameters["$id"].Value = id;
            return cmd.ExecuteNonQuery() == 1;
        });

    public Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("INSERT INTO audit(time, actor, action, target, detail) VALUES ($time, $actor, $action, $target, $detail)");
            cmd.Parameters["$time"].Value = entry.Time.ToUnixTimeMilliseconds();
            cmd.Parameters["$actor"].Value = entry.Actor;
            cmd.Parameters["$action"].Value = entry.Action;
            cmd.Parameters["$target"].Value = entry.Target;
            cmd.Parameters["$detail"].Value = entry.Detail;
            return cmd.ExecuteNonQuery();
        });

    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT time, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", limit);
        var entries = new List<AuditEntry>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        return entries;
    }
}
