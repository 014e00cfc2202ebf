using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Maps strings, contexts and product names to their row IDs, creating rows that do not exist yet. These rows are
/// never deleted, so their IDs are cached for the life of the process, and they are created in their own short
/// statements outside the event transactions: a batch that rolls back leaves a few unused rows, never a cached ID
/// without a row. Safe when several collectors intern the same value at once: an insert that loses the race
/// finds the winner's row on the second look.
/// </summary>
internal sealed class PostgresInterner(NpgsqlDataSource dataSource)
{
    private const int MaxCacheEntries = 200_000;

    private readonly ConcurrentDictionary<string, int> _strings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<EventContext, int> _contexts = new();
    private readonly ConcurrentDictionary<string, int> _products = new(StringComparer.Ordinal);

    /// <summary>The ID of a registered product.</summary>
    /// <exception cref="InvalidOperationException">No product has that name.</exception>
    public async Task<int> ProductAsync(string product, CancellationToken cancellationToken)
    {
        if (_products.TryGetValue(product, out var id))
        {
            return id;
        }

        await using var cmd = dataSource.CreateCommand("SELECT id FROM products WHERE name = @name");
        cmd.Parameters.AddWithValue("name", product);
        id = await cmd.ExecuteScalarAsync(cancellationToken) as int? ?? throw new InvalidOperationException($"product '{product}' is not registered");
        _products[product] = id;
        return id;
    }

    /// <summary>
    /// Makes sure every string and context has a row, and returns their IDs for this batch. The returned map,
    /// not the shared cache, is what the batch uses, so another batch trimming the cache cannot pull an ID away.
    /// </summary>
    public async Task<InternedIds> InternAsync(IEnumerable<string> strings, IEnumerable<EventContext> contexts, CancellationToken cancellationToken)
    {
        var ids = new InternedIds();
        await InternStringsAsync(ids, strings, cancellationToken);
        var missing = new HashSet<EventContext>();
        foreach (var context in contexts)
        {
            if (_contexts.TryGetValue(context, out var id))
            {
                ids.Contexts[context] = id;
            }
            else
            {
                missing.Add(context);
            }
        }

        if (missing.Count > 0)
        {
            await InternStringsAsync(ids, missing.SelectMany(c => new[] { c.Version, c.Os, c.OsVersion, c.Arch, c.Runtime, c.Ci, c.Host, c.Country }), cancellationToken);
            Trim(_contexts);
            await InternContextsAsync(ids, [.. missing], cancellationToken);
        }

        return ids;
    }

    private async Task InternStringsAsync(InternedIds ids, IEnumerable<string> strings, CancellationToken cancellationToken)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var value in strings)
        {
            if (value.Length == 0 || ids.Strings.ContainsKey(value))
            {
                continue;
            }

            if (_strings.TryGetValue(value, out var id))
            {
                ids.Strings[value] = id;
            }
            else
            {
                missing.Add(value);
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        Trim(_strings);
        var values = missing.ToArray();

        var keys = Array.ConvertAll(values, PostgresSchema.StringKey);

        // Sorted, so two collectors inserting overlapping sets take their row locks in the same order.
        await using (var insert = dataSource.CreateCommand("INSERT INTO strings(key, value) SELECT * FROM unnest(@keys, @values) ORDER BY 1 ON CONFLICT (key) DO NOTHING"))
        {
            insert.Parameters.Add(new NpgsqlParameter<byte[][]>("keys", keys) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            insert.Parameters.Add(new NpgsqlParameter<string[]>("values", values));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // A separate statement, so that it sees rows another collector committed while the insert waited for it.
        await using var select = dataSource.CreateCommand("SELECT value, id FROM strings WHERE key = ANY(@keys)");
        select.Parameters.Add(new NpgsqlParameter<byte[][]>("keys", keys) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (value, id) = (reader.GetString(0), reader.GetInt32(1));
            ids.Strings[value] = id;
            _strings[value] = id;
        }
    }

    private async Task InternContextsAsync(InternedIds ids, List<EventContext> contexts, CancellationToken cancellationToken)
    {
        var columns = new int[9][];
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = new int[contexts.Count];
        }

        for (var i = 0; i < contexts.Count; i++)
        {
            var row = ids.Row(contexts[i]);
            for (var c = 0; c < row.Length; c++)
            {
                columns[c][i] = row[c];
            }
        }

        const string Values = "unnest(@version, @os, @os_version, @arch, @runtime, @ci, @host, @flags, @country)";
        const string Columns = "version, os, os_version, arch, runtime, ci, host, flags, country";
        await using (var insert = dataSource.CreateCommand($"""
            INSERT INTO contexts({Columns}) SELECT * FROM {Values} AS v({Columns}) ORDER BY {Columns} ON CONFLICT DO NOTHING
            """))
        {
            AddColumns(insert, columns);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var select = dataSource.CreateCommand($"""
            SELECT v.i, c.id FROM {Values} WITH ORDINALITY AS v({Columns}, i)
            JOIN contexts c USING ({Columns})
            """);
        AddColumns(select, columns);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (context, id) = (contexts[(int)reader.GetInt64(0) - 1], reader.GetInt32(1));
            ids.Contexts[context] = id;
            _contexts[context] = id;
        }

        static void AddColumns(NpgsqlCommand cmd, int[][] columns)
        {
            string[] names = ["version", "os", "os_version", "arch", "runtime", "ci", "host", "flags", "country"];
            for (var c = 0; c < names.Length; c++)
            {
                cmd.Parameters.Add(new NpgsqlParameter(names[c], NpgsqlDbType.Array | (c == 7 ? NpgsqlDbType.Smallint : NpgsqlDbType.Integer))
                {
                    Value = c == 7 ? Array.ConvertAll(columns[c], v => (short)v) : columns[c],
                });
            }
        }
    }

    // A bounded cache: past the limit it starts over, and the next batches look their values up again.
    private static void Trim<TKey>(ConcurrentDictionary<TKey, int> cache)
        where TKey : notnull
    {
        if (cache.Count > MaxCacheEntries)
        {
            cache.Clear();
        }
    }
}

/// <summary>The row IDs of one batch's strings and contexts.</summary>
internal sealed class InternedIds
{
    public Dictionary<string, int> Strings { get; } = new(StringComparer.Ordinal);

    public Dictionary<EventContext, int> Contexts { get; } = [];

    /// <summary>The ID of a string of this batch; the empty string is 0.</summary>
    public int String(string value) =>
        value.Length == 0 ? 0
        : Strings.TryGetValue(value, out var id) ? id
        : throw new InvalidOperationException($"'{value}' was not interned with its batch");

    /// <summary>A context's columns as the contexts table keeps them.</summary>
    public int[] Row(EventContext context) =>
    [
        String(context.Version), String(context.Os), String(context.OsVersion), String(context.Arch), String(context.Runtime),
        String(context.Ci), String(context.Host),
        (context.Container ? PostgresSchema.ContainerFlag : 0) | (context.Wsl ? PostgresSchema.WslFlag : 0) | (context.Interactive ? PostgresSchema.InteractiveFlag : 0),
        String(context.Country),
    ];
}
