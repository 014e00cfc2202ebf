using Candor.Collector.Storage.DayRollups;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// What one batch's stored events add to the three rollup tables, folded in memory first: one
/// <see cref="RollupSummary"/> per install, day, event and context (as the SQLite store counts them), then one row per
/// distinct key of each table, and each table written with one upsert that adds the batch's counts to what is
/// committed. Rows go in each table's key order, so collectors writing overlapping batches take their row locks in the
/// same order and do not deadlock.
/// </summary>
internal sealed class PostgresRollupBatch
{
    private readonly Dictionary<(int Product, DateOnly Day, int Name, int Context, Guid Install), RollupSummary> _summaries = [];

    /// <summary>Counts one stored event; <paramref name="intern"/> gives the batch's ID of each of its strings.</summary>
    public void Add(IncomingEvent e, int product, DateOnly day, int name, int context, Func<string, long> intern)
    {
        var key = (product, day, name, context, e.Install);
        if (!_summaries.TryGetValue(key, out var summary))
        {
            summary = new RollupSummary();
            _summaries[key] = summary;
        }

        summary.Count(e, intern);
    }

    /// <summary>Adds the upserts of the tables this batch has rows for to <paramref name="batch"/>.</summary>
    public void AddTo(NpgsqlBatch batch)
    {
        if (_summaries.Count == 0)
        {
            return;
        }

        var events = _summaries.Keys.Order().ToList();
        batch.BatchCommands.Add(Upsert(
            "rollup_events",
            "product, day, name, context, install",
            Array("product", NpgsqlDbType.Integer, events.Select(k => k.Product)),
            Array("day", NpgsqlDbType.Date, events.Select(k => k.Day)),
            Array("name", NpgsqlDbType.Integer, events.Select(k => k.Name)),
            Array("context", NpgsqlDbType.Integer, events.Select(k => k.Context)),
            Array("install", NpgsqlDbType.Uuid, events.Select(k => k.Install)),
            Array("n", NpgsqlDbType.Bigint, events.Select(k => _summaries[k].Events))));

        var values = _summaries
            .SelectMany(p => p.Value.CountedValues.Select(v => (p.Key.Product, p.Key.Day, p.Key.Name, Field: (int)v.Field, Value: (int)v.Value, p.Key.Context, p.Key.Install, v.N)))
            .Order()
            .ToList();
        if (values.Count > 0)
        {
            batch.BatchCommands.Add(Upsert(
                "rollup_values",
                "product, day, name, field, value, context, install",
                Array("product", NpgsqlDbType.Integer, values.Select(k => k.Product)),
                Array("day", NpgsqlDbType.Date, values.Select(k => k.Day)),
                Array("name", NpgsqlDbType.Integer, values.Select(k => k.Name)),
                Array("field", NpgsqlDbType.Integer, values.Select(k => k.Field)),
                Array("value", NpgsqlDbType.Integer, values.Select(k => k.Value)),
                Array("context", NpgsqlDbType.Integer, values.Select(k => k.Context)),
                Array("install", NpgsqlDbType.Uuid, values.Select(k => k.Install)),
                Array("n", NpgsqlDbType.Bigint, values.Select(k => k.N))));
        }

        // Measures are not kept per install: the installs of one key add up into one row.
        var measures = new SortedDictionary<(int Product, DateOnly Day, int Name, int Field, int Context, int Bucket), long>();
        foreach (var (key, summary) in _summaries)
        {
            foreach (var (field, bucket, n) in summary.CountedBuckets)
            {
                var row = (key.Product, key.Day, key.Name, (int)field, key.Context, (int)bucket);
                measures[row] = measures.GetValueOrDefault(row) + n;
            }
        }

        if (measures.Count > 0)
        {
            var keys = measures.Keys;
            batch.BatchCommands.Add(Upsert(
                "rollup_measures",
                "product, day, name, field, context, bucket",
                Array("product", NpgsqlDbType.Integer, keys.Select(k => k.Product)),
                Array("day", NpgsqlDbType.Date, keys.Select(k => k.Day)),
                Array("name", NpgsqlDbType.Integer, keys.Select(k => k.Name)),
                Array("field", NpgsqlDbType.Integer, keys.Select(k => k.Field)),
                Array("context", NpgsqlDbType.Integer, keys.Select(k => k.Context)),
                Array("bucket", NpgsqlDbType.Integer, keys.Select(k => k.Bucket)),
                Array("n", NpgsqlDbType.Bigint, measures.Values)));
        }
    }

    // Counts from several collectors add up: the upsert adds this batch's count to whatever is committed. The rows
    // are unique by key within the statement, which ON CONFLICT DO UPDATE requires.
    private static NpgsqlBatchCommand Upsert(string table, string key, params NpgsqlParameter[] columns)
    {
        var command = new NpgsqlBatchCommand($"""
            INSERT INTO {table} AS r ({key}, n) SELECT * FROM unnest({string.Join(", ", columns.Select(c => "@" + c.ParameterName))})
            ON CONFLICT ({key}) DO UPDATE SET n = r.n + excluded.n
            """);
        command.Parameters.AddRange(columns);
        return command;
    }

    /// <summary>A parameter holding <paramref name="values"/> as a PostgreSQL array of <paramref name="type"/>.</summary>
    public static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };
}
