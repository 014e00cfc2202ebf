using Candor.Manifest;
using Npgsql;

namespace Candor.Collector.Storage.Postgres;

internal sealed partial class PostgresEventStore
{
    public async Task<long> CountRawEventsAsync(string product, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT COUNT(*) FROM events WHERE product = (SELECT id FROM products WHERE name = @product)");
        cmd.Parameters.AddWithValue("product", product);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<RawEvent>> ReadRawAsync(EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _readSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(RawEventSql.Select(filter, "i.install", "JOIN install_numbers i ON i.product = e.product AND i.number = e.install", Dialect), connection);
        RawEventSql.AddParameters(cmd, filter, limit, Dialect);

        var rows = new List<(Guid Id, string Name, int Revision, DateTime Time, Guid Install, byte[]? Data, EventContext Context)>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var context = RawEventSql.ReadContext(reader);
                rows.Add((
                    reader.GetGuid(0),
                    reader.GetString(1),
                    reader.GetInt32(2),
                    reader.GetDateTime(3),
                    reader.GetGuid(4),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6),
                    context));
            }
        }

        // Packed values name interned strings (versions, stack signatures): decode once to learn which, fetch
        // those in one query, then decode for real.
        var definitions = new Dictionary<(int, string), EventDefinition>();
        var wanted = new HashSet<int>();
        foreach (var row in rows.Where(r => r.Data is not null))
        {
            var definition = await _manifests.FindAsync(connection, filter.Product, row.Revision, row.Name, cancellationToken);
            definitions[(row.Revision, row.Name)] = definition;
            PropertyCodec.Decode(row.Data!, definition, id =>
            {
                wanted.Add((int)id);
                return "";
            });
        }

        var strings = await LoadStringsAsync(connection, wanted, cancellationToken);
        return [.. rows.Select(row =>
        {
            var (properties, measurements) = row.Data is null
                ? ([], [])
                : PropertyCodec.Decode(row.Data, definitions[(row.Revision, row.Name)], id => strings[(int)id]);
            return new RawEvent(row.Id, row.Name, row.Revision, new DateTimeOffset(row.Time), row.Install, row.Context, properties, measurements);
        })];
    }

    // Interned strings never change, so they stay cached; the cache starts over when it grows large. The caller
    // gets its own map, so another call clearing the cache cannot take a value from under it.
    private async Task<Dictionary<int, string>> LoadStringsAsync(NpgsqlConnection connection, HashSet<int> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<int, string>();
        var missing = new List<int>();
        foreach (var id in ids)
        {
            if (_strings.TryGetValue(id, out var value))
            {
                found[id] = value;
            }
            else
            {
                missing.Add(id);
            }
        }

        if (missing.Count == 0)
        {
            return found;
        }

        if (_strings.Count > 200_000)
        {
            _strings.Clear();
        }

        await using var cmd = new NpgsqlCommand("SELECT id, value FROM strings WHERE id = ANY(@ids)", connection);
        cmd.Parameters.AddWithValue("ids", missing.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, value) = (reader.GetInt32(0), reader.GetString(1));
            found[id] = value;
            _strings[id] = value;
        }

        return found;
    }
}
