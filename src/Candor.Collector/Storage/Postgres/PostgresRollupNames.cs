using System.Collections.Concurrent;
using Candor.Collector.Storage.DayRollups;
using Candor.Manifest;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The string IDs a batch of rollup queries needs, looked up all at once before the pass (the pass asks for them
/// one by one, <see cref="Find"/>), and the values of the IDs its answers name, all at once after it.
/// </summary>
/// <param name="eventNamesOf">
/// Each registered manifest revision's event names, kept by the store across batches: a revision never changes once
/// registered.
/// </param>
internal sealed class PostgresRollupNames(ConcurrentDictionary<(int Product, int Revision), string[]> eventNamesOf) : RollupNames
{
    // -1: no such string (IDs are positive).
    private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal);

    /// <summary>A product the batch asks about, and the string IDs of every event name its manifests declare.</summary>
    public sealed record Product(int Id, List<long> EventNames);

    public long? Find(string value) => _ids.GetValueOrDefault(value, -1) is var id and >= 0 ? id : null;

    /// <summary>Looks up the products the queries ask about and every string they may name.</summary>
    public async Task<Dictionary<string, Product>> FindAsync(NpgsqlConnection connection, IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken)
    {
        var strings = new HashSet<string>(StringComparer.Ordinal);
        var names = new Dictionary<string, (int Id, HashSet<string> Events)>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            strings.UnionWith(new[] { query.Field, query.Filter.Event, query.Filter.Version, query.Filter.Os }.OfType<string>());
            names.TryAdd(query.Filter.Product, (0, new HashSet<string>(StringComparer.Ordinal)));
        }

        await using (var products = new NpgsqlCommand("""
            SELECT p.name, p.id, m.revision, CASE WHEN (m.product || ':' || m.revision) = ANY(@known) THEN NULL ELSE m.json END
            FROM products p LEFT JOIN manifests m ON m.product = p.id
            WHERE p.name = ANY(@names)
            """, connection))
        {
            products.Parameters.AddWithValue("names", names.Keys.ToArray());
            products.Parameters.AddWithValue("known", eventNamesOf.Keys.Select(k => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{k.Product}:{k.Revision}")).ToArray());
            await using var reader = await products.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var (name, id) = (reader.GetString(0), reader.GetInt32(1));
                var events = names[name].Events;
                names[name] = (id, events);
                if (reader.IsDBNull(2))
                {
                    continue;
                }

                var revision = reader.GetInt32(2);
                if (!eventNamesOf.TryGetValue((id, revision), out var declared))
                {
                    // Known revisions come without their JSON; one that is not (the cache was empty for it) comes with it.
                    declared = Declared(reader.GetString(3));
                    eventNamesOf[(id, revision)] = declared;
                }

                events.UnionWith(declared);
            }
        }

        strings.UnionWith(names.Values.SelectMany(n => n.Events));
        strings.Remove("");
        var values = strings.ToArray();
        await using (var find = new NpgsqlCommand("SELECT value, id FROM strings WHERE key = ANY(@keys)", connection))
        {
            find.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = Array.ConvertAll(values, PostgresSchema.StringKey) });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                _ids[reader.GetString(0)] = reader.GetInt32(1);
            }
        }

        var found = new Dictionary<string, Product>(StringComparer.Ordinal);
        foreach (var (name, (id, events)) in names)
        {
            if (id != 0)
            {
                found[name] = new Product(id, [.. events.Select(Find).OfType<long>().Order()]);
            }
        }

        return found;
    }

    /// <summary>Reads the value of every ID the tallies asked for.</summary>
    public async Task LookUpAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (Wanted.Count == 0)
        {
            return;
        }

        await using var read = new NpgsqlCommand("SELECT id, value FROM strings WHERE id = ANY(@ids)", connection);
        read.Parameters.AddWithValue("ids", Wanted.Select(id => (int)id).ToArray());
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            Found(reader.GetInt32(0), reader.GetString(1));
        }
    }

    private static string[] Declared(string json) => [.. TelemetryManifest.ParseRegistered(json).Events.Select(e => e.Name)];
}
