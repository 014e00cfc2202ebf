using System.Data;
using System.Data.Common;

namespace Candor.Collector.Storage;

/// <summary>
/// The catalogue's statements (products, manifests, credentials, the audit log), how their parameters are bound and
/// how their rows are read, once for both stores. A store runs them its own way: SQLite's writes in its writer's
/// transaction, PostgreSQL's on pooled connections.
/// </summary>
internal sealed class CatalogueSql(SqlDialect dialect)
{
    public string SaveProduct { get; } = $"""
        INSERT INTO products(name, retention_months, k, created) VALUES ({dialect.P("name")}, {dialect.P("retention")}, {dialect.P("k")}, {dialect.P("created")})
        ON CONFLICT (name) DO UPDATE SET retention_months = excluded.retention_months, k = excluded.k
        RETURNING created
        """;

    public string Products { get; } = $"SELECT name, retention_months, k, created FROM products ORDER BY name{dialect.CodePointOrder}";

    public string AddManifest { get; } = $"""
        INSERT INTO manifests(product, revision, json, registered) VALUES ({dialect.P("product")}, {dialect.P("revision")}, {dialect.P("json")}, {dialect.P("registered")})
        ON CONFLICT DO NOTHING
        """;

    public string Manifests { get; } = $"""
        SELECT p.name, m.revision, m.json, m.registered FROM manifests m JOIN products p ON p.id = m.product
        ORDER BY p.name{dialect.CodePointOrder}, m.revision
        """;

    public string AddCredential { get; } = $"""
        INSERT INTO credentials(hash, role, product, name, created) VALUES ({dialect.P("hash")}, {dialect.P("role")}, {dialect.P("product")}, {dialect.P("name")}, {dialect.P("created")})
        RETURNING id
        """;

    public string Credentials { get; } = "SELECT id, hash, role, product, name, created FROM credentials WHERE revoked IS NULL ORDER BY id";

    public string FindRevocation { get; } = $"SELECT revoked FROM credentials WHERE hash = {dialect.P("hash")} AND revoked IS NOT NULL";

    public string Revoke { get; } = $"UPDATE credentials SET revoked = {dialect.P("at")} WHERE id = {dialect.P("id")} AND revoked IS NULL";

    public string AppendAudit { get; } = $"""
        INSERT INTO audit(time, actor, action, target, detail) VALUES ({dialect.P("time")}, {dialect.P("actor")}, {dialect.P("action")}, {dialect.P("target")}, {dialect.P("detail")})
        """;

    public string Audit { get; } = $"SELECT time, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT {dialect.P("limit")}";

    public void BindProduct(DbCommand command, ProductRecord product)
    {
        dialect.Bind(command, "name", product.Name);
        dialect.Bind(command, "retention", product.RetentionMonths);
        dialect.Bind(command, "k", product.KThreshold);
        dialect.Bind(command, "created", dialect.Time(product.Created));
    }

    /// <summary>The product as saved: <see cref="SaveProduct"/> returns when it was first created.</summary>
    public ProductRecord Saved(ProductRecord product, object created) => product with { Created = dialect.TimeOf(created) };

    public void BindManifest(DbCommand command, object productId, ManifestRecord manifest)
    {
        dialect.Bind(command, "product", productId);
        dialect.Bind(command, "revision", manifest.Revision);
        dialect.Bind(command, "json", manifest.Json);
        dialect.Bind(command, "registered", dialect.Time(manifest.Registered));
    }

    public void BindCredential(DbCommand command, CredentialRecord credential)
    {
        dialect.Bind(command, "hash", credential.Hash);
        dialect.Bind(command, "role", (short)credential.Role);
        dialect.Bind(command, "product", credential.Product, DbType.String);
        dialect.Bind(command, "name", credential.Name);
        dialect.Bind(command, "created", dialect.Time(credential.Created));
    }

    public void BindRevocation(DbCommand command, long id, DateTimeOffset at)
    {
        dialect.Bind(command, "at", dialect.Time(at));
        dialect.Bind(command, "id", id);
    }

    public void BindAudit(DbCommand command, AuditEntry entry)
    {
        dialect.Bind(command, "time", dialect.Time(entry.Time));
        dialect.Bind(command, "actor", entry.Actor);
        dialect.Bind(command, "action", entry.Action);
        dialect.Bind(command, "target", entry.Target);
        dialect.Bind(command, "detail", entry.Detail);
    }

    public async Task<IReadOnlyList<ProductRecord>> ReadProductsAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ReadAsync(connection, Products, null, r => new ProductRecord(r.GetString(0), r.GetInt32(1), r.GetInt32(2), dialect.TimeOf(r.GetValue(3))), cancellationToken);

    public async Task<IReadOnlyList<ManifestRecord>> ReadManifestsAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ReadAsync(connection, Manifests, null, r => new ManifestRecord(r.GetString(0), r.GetInt32(1), r.GetString(2), dialect.TimeOf(r.GetValue(3))), cancellationToken);

    public async Task<IReadOnlyList<CredentialRecord>> ReadCredentialsAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ReadAsync(
            connection,
            Credentials,
            null,
            r => new CredentialRecord(
                r.GetInt64(0), r.GetFieldValue<byte[]>(1), (CredentialRole)r.GetInt16(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), dialect.TimeOf(r.GetValue(5))),
            cancellationToken);

    public async Task<DateTimeOffset?> ReadRevocationAsync(DbConnection connection, byte[] hash, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = FindRevocation;
        dialect.Bind(cmd, "hash", hash);
        return await cmd.ExecuteScalarAsync(cancellationToken) is { } revoked and not DBNull ? dialect.TimeOf(revoked) : null;
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(DbConnection connection, int limit, CancellationToken cancellationToken) =>
        await ReadAsync(
            connection,
            Audit,
            cmd => dialect.Bind(cmd, "limit", limit),
            r => new AuditEntry(dialect.TimeOf(r.GetValue(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4)),
            cancellationToken);

    private static async Task<List<T>> ReadAsync<T>(DbConnection connection, string sql, Action<DbCommand>? bind, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        bind?.Invoke(cmd);
        var rows = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
