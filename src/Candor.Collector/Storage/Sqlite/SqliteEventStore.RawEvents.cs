using Candor.Manifest;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteEventStore
{
    public async Task<long> CountRawEventsAsync(string product, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM events WHERE product = (SELECT id FROM products WHERE name = $product)";
        cmd.Parameters.AddWithValue("$product", product);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<RawEvent>> ReadRawAsync(EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = RawEventSql.Select(filter, "i.uid", "JOIN installs i ON i.id = e.install", SqliteDialect.Instance);
        RawEventSql.AddParameters(cmd, filter, limit, SqliteDialect.Instance);

        var rows = new List<RawEvent>();
        var strings = new Dictionary<long, string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(1);
            var revision = reader.GetInt32(2);
            var context = RawEventSql.ReadContext(reader);
            var properties = new Dictionary<string, object>();
            var measurements = new Dictionary<string, double>();
            if (!reader.IsDBNull(6))
            {
                var definition = await _manifests.FindAsync(connection, filter.Product, revision, name, cancellationToken);
                (properties, measurements) = PropertyCodec.Decode((byte[])reader.GetValue(6), definition, id => LookupString(connection, strings, id));
            }

            rows.Add(new RawEvent(
                new Guid((byte[])reader.GetValue(0)),
                name,
                revision,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                new Guid((byte[])reader.GetValue(4)),
                context,
                properties,
                measurements));
        }

        return rows;
    }

    private static string LookupString(SqliteConnection connection, Dictionary<long, string> cache, long id)
    {
        if (!cache.TryGetValue(id, out var value))
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT value FROM strings WHERE id = $id";
            cmd.Parameters.AddWithValue("$id", id);
            value = (string)cmd.ExecuteScalar()!;
            cache[id] = value;
        }

        return value;
    }
}
