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
        cmd.CommandText = $"""
            SELECT e.id, n.value, e.revision, e.time, i.uid, NULL, e.data,
                   sv.value, so.value, sov.value, sa.value, sr.value, sci.value, sh.value, c.flags, sc.value
            FROM events e
            JOIN strings n ON n.id = e.name
            JOIN installs i ON i.id = e.install
            JOIN contexts c ON c.id = e.context
            LEFT JOIN strings sv ON sv.id = c.version
            LEFT JOIN strings so ON so.id = c.os
            LEFT JOIN strings sov ON sov.id = c.os_version
            LEFT JOIN strings sa ON sa.id = c.arch
            LEFT JOIN strings sr ON sr.id = c.runtime
            LEFT JOIN strings sci ON sci.id = c.ci
            LEFT JOIN strings sh ON sh.id = c.host
            LEFT JOIN strings sc ON sc.id = c.country
            WHERE e.product = (SELECT id FROM products WHERE name = $product)
              AND e.time >= $fromMs AND e.time < $toMs
              {FilterSql.EventCondition(filter, "e.name", SqliteDialect.Instance)}
              AND {FilterSql.ContextCondition(filter, "e.context", SqliteDialect.Instance)}
            ORDER BY e.time, e.id
            LIMIT $limit
            """;
        FilterSql.AddParameters(cmd, filter, SqliteDialect.Instance);
        cmd.Parameters.AddWithValue("$fromMs", SqliteSchema.DayNumber(filter.From) * SqliteSchema.MillisecondsPerDay);
        cmd.Parameters.AddWithValue("$toMs", (SqliteSchema.DayNumber(filter.To) + 1) * SqliteSchema.MillisecondsPerDay);
        cmd.Parameters.AddWithValue("$limit", limit);

        var rows = new List<RawEvent>();
        var strings = new Dictionary<long, string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(1);
            var revision = reader.GetInt32(2);
            var flags = reader.GetInt32(14);
            var context = new EventContext(
                Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10), Text(reader, 11), Text(reader, 12), Text(reader, 13),
                (flags & SqliteSchema.ContainerFlag) != 0, (flags & SqliteSchema.WslFlag) != 0, (flags & SqliteSchema.InteractiveFlag) != 0,
                Text(reader, 15));
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

        static string Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? "" : reader.GetString(ordinal);
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
