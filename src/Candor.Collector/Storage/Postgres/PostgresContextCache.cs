using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The contexts table in memory, for the rollup queries' context filters and breakdowns. Contexts are interned and
/// never change or go, so the cache only ever reads the rows made since it last looked.
/// </summary>
internal sealed class PostgresContextCache
{
    private readonly object _gate = new();
    private Dictionary<long, Row> _rows = [];
    private long _newest;

    /// <summary>Reads the contexts made since the last call; returns a view of every one known now.</summary>
    public async Task<View> RefreshAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        long newest;
        lock (_gate)
        {
            newest = _newest;
        }

        var added = new List<Row>();
        await using (var read = new NpgsqlCommand("SELECT id, version, os, runtime, country, ci, flags FROM contexts WHERE id > @newest", connection))
        {
            read.Parameters.AddWithValue("newest", (int)newest);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                added.Add(new Row(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetInt16(6)));
            }
        }

        lock (_gate)
        {
            if (added.Count > 0)
            {
                // Copied, so that views handed out before stay as they were.
                var rows = new Dictionary<long, Row>(_rows);
                foreach (var row in added)
                {
                    rows[row.Id] = row;
                    _newest = Math.Max(_newest, row.Id);
                }

                _rows = rows;
            }

            return new View(_rows);
        }
    }

    internal sealed record Row(long Id, long Version, long Os, long Runtime, long Country, long Ci, int Flags);

    /// <summary>The contexts known at one moment.</summary>
    public sealed class View(Dictionary<long, Row> rows)
    {
        private readonly Dictionary<ContextDimension, Dictionary<long, long>> _values = [];

        /// <summary>
        /// The contexts the filter's version, OS and CI conditions select (null when it has none), as the SQLite
        /// store's <c>contexts</c> query selects them; <paramref name="find"/> gives a string's ID.
        /// </summary>
        public HashSet<long>? Matching(EventFilter filter, Func<string, long?> find)
        {
            if (filter.Version is null && filter.Os is null && filter.Ci is null)
            {
                return null;
            }

            var version = filter.Version is null ? (long?)null : find(filter.Version) ?? -1;
            var os = filter.Os is null ? (long?)null : find(filter.Os) ?? -1;
            var matching = new HashSet<long>();
            foreach (var row in rows.Values)
            {
                if ((version is null || row.Version == version) && (os is null || row.Os == os) && (filter.Ci is null || (row.Ci != 0) == filter.Ci))
                {
                    matching.Add(row.Id);
                }
            }

            return matching;
        }

        /// <summary>Each context's value of one dimension: a string ID, or 1 and 0 for the container flag.</summary>
        public Dictionary<long, long> Values(ContextDimension dimension)
        {
            if (_values.TryGetValue(dimension, out var values))
            {
                return values;
            }

            values = _values[dimension] = new Dictionary<long, long>(rows.Count);
            foreach (var row in rows.Values)
            {
                values[row.Id] = dimension switch
                {
                    ContextDimension.Version => row.Version,
                    ContextDimension.Os => row.Os,
                    ContextDimension.Runtime => row.Runtime,
                    ContextDimension.Country => row.Country,
                    ContextDimension.Ci => row.Ci,
                    _ => (row.Flags & ContextFlags.Container) != 0 ? 1 : 0,
                };
            }

            return values;
        }
    }
}
