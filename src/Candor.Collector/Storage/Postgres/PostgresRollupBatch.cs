using Candor.Collector.Storage.DayRollups;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// What one batch's stored events add to the three rollup tables, folded in memory first: one
/// <see cref="RollupSummary"/> per install, day, event and context (as the SQLite store counts them), then one row per
/// distinct key of each table, and each table written with one upsert that adds the batch's counts to what is
/// committed. Rows go in each table's key order, so collectors writing overlapping batches take their row locks in the
/// same order and do not deadlock. The upserts of the newest days' rows hand back each row's count after them, with
/// the install's number, so that the collector can fold the commit into the parts it holds of those days
/// (<see cref="ReadRecentAsync"/>, <see cref="PostgresRecentDays"/>).
/// </summary>
internal sealed class PostgresRollupBatch
{
    private readonly Dictionary<(int Product, DateOnly Day, int Name, int Context, Guid Install), RollupSummary> _summaries = [];
    private readonly Dictionary<(int Product, DateOnly Day, int Name, int Field, int Value, int Context, Guid Install), long> _values = [];
    private readonly SortedDictionary<(int Product, DateOnly Day, int Name, int Field, int Context, int Bucket), long> _measures = [];

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

    /// <summary>
    /// Adds the upserts of the tables this batch has rows for to <paramref name="batch"/>; those of
    /// <c>rollup_events</c> and <c>rollup_values</c> return the rows of <paramref name="since"/> on (see the class),
    /// and the transaction's ID comes with them.
    /// </summary>
    public void AddTo(NpgsqlBatch batch, DateOnly since)
    {
        if (_summaries.Count == 0)
        {
            return;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_xact_id()::text::bigint"));

        var events = _summaries.Keys.Order().ToList();
        batch.BatchCommands.Add(Upsert(
            "rollup_events",
            "product, day, name, context, install",
            since,
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
        foreach (var v in values)
        {
            _values[(v.Product, v.Day, v.Name, v.Field, v.Value, v.Context, v.Install)] = v.N;
        }

        if (values.Count > 0)
        {
            batch.BatchCommands.Add(Upsert(
                "rollup_values",
                "product, day, name, field, value, context, install",
                since,
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
        var measures = _measures;
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
                null,
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
    // are unique by key within the statement, which ON CONFLICT DO UPDATE requires. With a day to return rows from,
    // the rows of that day on come back with their count after the upsert.
    private static NpgsqlBatchCommand Upsert(string table, string key, DateOnly? since, params NpgsqlParameter[] columns)
    {
        var upsert = $"""
            INSERT INTO {table} AS r ({key}, n) SELECT * FROM unnest({string.Join(", ", columns.Select(c => "@" + c.ParameterName))})
            ON CONFLICT ({key}) DO UPDATE SET n = r.n + excluded.n
            """;
        var command = new NpgsqlBatchCommand(since is null ? upsert : $"""
            WITH w AS ({upsert} RETURNING {key}, n)
            SELECT * FROM w WHERE w.day >= @since
            """);
        command.Parameters.AddRange(columns);
        if (since is not null)
        {
            command.Parameters.AddWithValue("since", since.Value);
        }

        return command;
    }

    /// <summary>
    /// Reads what the batch's upserts returned (<paramref name="reader"/> of the batch <see cref="AddTo"/> filled): the
    /// newest days' rows, each with what this batch added to it and the install's number (<paramref name="numbers"/>,
    /// which the stored events were given), for <see cref="PostgresRecentDays"/>.
    /// </summary>
    public async Task<PostgresCommitRows> ReadRecentAsync(NpgsqlDataReader reader, DateOnly since, Dictionary<(int Product, Guid Install), long> numbers, CancellationToken cancellationToken)
    {
        var rows = new PostgresCommitRows(since);
        foreach (var (key, summary) in _summaries)
        {
            rows.Stamps[(key.Product, key.Day)] = rows.Stamps.GetValueOrDefault((key.Product, key.Day)) + summary.Events;
        }

        // The statements that return rows are told apart by their columns: the transaction's ID is one, rollup_events'
        // key and count six, rollup_values' eight.
        do
        {
            if (reader.FieldCount == 1 && await reader.ReadAsync(cancellationToken))
            {
                rows.Xid = reader.GetInt64(0);
            }
            else if (reader.FieldCount == 6)
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var (product, day, name, context, install) = (reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetGuid(4));
                    rows.Events.Add(new(product, day, name, context, numbers[(product, install)], _summaries[(product, day, name, context, install)].Events, reader.GetInt64(5)));
                }
            }
            else if (reader.FieldCount == 8)
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var (product, day, name, field, value, context, install) = (reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetGuid(6));
                    rows.Values.Add(new(product, day, name, field, value, context, numbers[(product, install)], _values[(product, day, name, field, value, context, install)], reader.GetInt64(7)));
                }
            }
        }
        while (await reader.NextResultAsync(cancellationToken));

        foreach (var (key, n) in _measures)
        {
            if (key.Day >= since)
            {
                rows.Measures.Add(new(key.Product, key.Day, key.Name, key.Field, key.Context, key.Bucket, n));
            }
        }

        return rows;
    }

    /// <summary>A parameter holding <paramref name="values"/> as a PostgreSQL array of <paramref name="type"/>.</summary>
    public static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };
}
