using Candor.Collector.Storage.DayRollups;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// What one batch's stored events add to the rollups, folded in memory first: one <see cref="RollupSummary"/> per
/// install, day, event and context (as the SQLite store counts them). Each of those is one <c>rollup_events</c> row,
/// its property values packed in its <c>summary</c> with the SQLite store's encoding, so an event writes one rollup
/// row, not one more per property value (schema 10). PostgreSQL cannot merge two summaries in SQL, so the rows are
/// read and locked first (<see cref="AddTo"/>), merged here and written back (<see cref="WriteAsync"/>); the
/// durations go to <c>rollup_measures</c>, which is not kept per install, with one upsert that adds to what is
/// committed. Rows go in key order, so collectors writing overlapping batches take their row locks in the same order
/// and do not deadlock. What the batch leaves in the newest days' rows, and what it added, goes to the collector's
/// parts of those days once committed (<see cref="Recent"/>, <see cref="PostgresRecentDays"/>).
/// </summary>
internal sealed class PostgresRollupBatch
{
    // A key another collector inserts between this batch's read and its insert is read again; it can only happen
    // again if the row is deleted and made anew meanwhile.
    private const int Rounds = 5;

    private readonly Dictionary<RowKey, RollupSummary> _summaries = [];
    private readonly SortedDictionary<(int Product, DateOnly Day, int Name, int Field, int Context, int Bucket), long> _measures = [];

    // The batch's own values of each row, and each row as the database held it when read (locked until the commit).
    private readonly Dictionary<RowKey, byte[]?> _added = [];
    private readonly Dictionary<RowKey, (long N, byte[]? Summary)> _stored = [];
    private List<RowKey> _keys = [];

    /// <summary>Counts one stored event; <paramref name="intern"/> gives the batch's ID of each of its strings.</summary>
    public void Add(IncomingEvent e, int product, DateOnly day, int name, int context, Func<string, long> intern)
    {
        var key = new RowKey(product, day, name, context, e.Install);
        if (!_summaries.TryGetValue(key, out var summary))
        {
            summary = new RollupSummary();
            _summaries[key] = summary;
        }

        summary.Count(e, intern);
    }

    /// <summary>
    /// Adds to <paramref name="batch"/> the transaction's ID, the read of the batch's rollup rows with a lock (in key
    /// order) and the upsert of its duration buckets; <see cref="ReadAsync"/> reads what they return.
    /// </summary>
    public void AddTo(NpgsqlBatch batch)
    {
        if (_summaries.Count == 0)
        {
            return;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_xact_id()::text::bigint"));
        _keys = [.. _summaries.Keys.Order()];
        foreach (var key in _keys)
        {
            _added[key] = ValuesOf(_summaries[key]);
        }

        batch.BatchCommands.Add(ReadLocked(_keys));

        // Measures are not kept per install: the installs of one key add up into one row.
        foreach (var (key, summary) in _summaries)
        {
            foreach (var (field, bucket, n) in summary.CountedBuckets)
            {
                var row = (key.Product, key.Day, key.Name, (int)field, key.Context, (int)bucket);
                _measures[row] = _measures.GetValueOrDefault(row) + n;
            }
        }

        if (_measures.Count > 0)
        {
            var keys = _measures.Keys;
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO rollup_measures AS r (product, day, name, field, context, bucket, n)
                SELECT * FROM unnest(@product, @day, @name, @field, @context, @bucket, @n)
                ON CONFLICT (product, day, name, field, context, bucket) DO UPDATE SET n = r.n + excluded.n
                """);
            upsert.Parameters.AddRange(new[]
            {
                Array("product", NpgsqlDbType.Integer, keys.Select(k => k.Product)),
                Array("day", NpgsqlDbType.Date, keys.Select(k => k.Day)),
                Array("name", NpgsqlDbType.Integer, keys.Select(k => k.Name)),
                Array("field", NpgsqlDbType.Integer, keys.Select(k => k.Field)),
                Array("context", NpgsqlDbType.Integer, keys.Select(k => k.Context)),
                Array("bucket", NpgsqlDbType.Integer, keys.Select(k => k.Bucket)),
                Array("n", NpgsqlDbType.Bigint, _measures.Values),
            });
            batch.BatchCommands.Add(upsert);
        }
    }

    /// <summary>
    /// Reads what the statements of <see cref="AddTo"/> returned (<paramref name="reader"/> of the batch it filled):
    /// the transaction's ID, returned, and the rows that exist already.
    /// </summary>
    public async Task<long> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        // The statements that return rows are told apart by their columns: the transaction's ID is one, a row seven.
        long xid = 0;
        do
        {
            if (reader.FieldCount == 1 && await reader.ReadAsync(cancellationToken))
            {
                xid = reader.GetInt64(0);
            }
            else if (reader.FieldCount == 7)
            {
                await ReadRowsAsync(reader, cancellationToken);
            }
        }
        while (await reader.NextResultAsync(cancellationToken));

        return xid;
    }

    /// <summary>
    /// Writes every row of the batch: a row that exists gets its count and values merged with what the batch adds
    /// (it is locked since <see cref="ReadAsync"/>), a new one is inserted. A new row another collector inserted
    /// meanwhile is read, locked and merged in the next round.
    /// </summary>
    public async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var keys = _keys;
        for (var round = 1; keys.Count > 0; round++)
        {
            if (round > Rounds)
            {
                throw new InvalidOperationException("rollup rows kept changing while this batch wrote them");
            }

            var existing = keys.Where(_stored.ContainsKey).ToList();
            var fresh = keys.Where(k => !_stored.ContainsKey(k)).ToList();
            await using var write = new NpgsqlBatch(connection, transaction);
            if (existing.Count > 0)
            {
                // Each of these rows is locked by this transaction, so the values merged here are what it holds.
                write.BatchCommands.Add(Write(existing, "DO UPDATE SET n = excluded.n, summary = excluded.summary"));
            }

            if (fresh.Count > 0)
            {
                write.BatchCommands.Add(Write(fresh, "DO NOTHING RETURNING product, day, name, context, install"));
            }

            var inserted = new HashSet<RowKey>();
            await using (var reader = await write.ExecuteReaderAsync(cancellationToken))
            {
                do
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        inserted.Add(KeyOf(reader));
                    }
                }
                while (await reader.NextResultAsync(cancellationToken));
            }

            keys = [.. fresh.Where(k => !inserted.Contains(k))];
            if (keys.Count > 0)
            {
                await using var read = new NpgsqlBatch(connection, transaction) { BatchCommands = { ReadLocked(keys) } };
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                await ReadRowsAsync(reader, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The batch's rows of <paramref name="since"/> on, each with what the batch added and its count after it, with
    /// the install's number (<paramref name="numbers"/>, which the stored events were given), for
    /// <see cref="PostgresRecentDays"/>; <paramref name="xid"/> is the transaction's ID.
    /// </summary>
    public PostgresCommitRows Recent(DateOnly since, long xid, Dictionary<(int Product, Guid Install), long> numbers)
    {
        var rows = new PostgresCommitRows(since) { Xid = xid };
        foreach (var (key, summary) in _summaries)
        {
            rows.Stamps[(key.Product, key.Day)] = rows.Stamps.GetValueOrDefault((key.Product, key.Day)) + summary.Events;
            if (key.Day < since)
            {
                continue;
            }

            var install = numbers[(key.Product, key.Install)];
            var (n, after) = After(key);
            rows.Events.Add(new(key.Product, key.Day, key.Name, key.Context, install, summary.Events, n));
            var totals = new Dictionary<(long Field, long Value), long>();
            var values = RollupSummary.Values(after, -1);
            while (values.MoveNext())
            {
                totals[(values.Field, values.Current.Key)] = values.Current.N;
            }

            var added = RollupSummary.Values(_added[key], -1);
            while (added.MoveNext())
            {
                rows.Values.Add(new(key.Product, key.Day, key.Name, added.Field, added.Current.Key, key.Context, install, added.Current.N, totals[(added.Field, added.Current.Key)]));
            }
        }

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

    /// <summary>The property values of <paramref name="summary"/> encoded without its durations (those are in <c>rollup_measures</c>).</summary>
    public static byte[]? ValuesOf(RollupSummary summary)
    {
        var values = new RollupSummary();
        foreach (var (field, value, n) in summary.CountedValues)
        {
            values.AddValue(field, value, n);
        }

        return values.Encode();
    }

    // A row as this batch leaves it: what the database held (or nothing) with the batch's events and values added.
    private (long N, byte[]? Summary) After(RowKey key)
    {
        var stored = _stored.GetValueOrDefault(key);
        return (stored.N + _summaries[key].Events, RollupSummary.Merge(stored.Summary, _added[key]));
    }

    private async Task ReadRowsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken))
        {
            _stored[KeyOf(reader)] = (reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6));
        }
    }

    // One index look per key, in the month partition of its day (a join would scan every partition), locking the row
    // in the order of the keys.
    private static NpgsqlBatchCommand ReadLocked(List<RowKey> keys)
    {
        var read = new NpgsqlBatchCommand("""
            SELECT r.* FROM unnest(@product, @day, @name, @context, @install) AS k(product, day, name, context, install)
            CROSS JOIN LATERAL (
              SELECT r.product, r.day, r.name, r.context, r.install, r.n, r.summary FROM rollup_events r
              WHERE r.product = k.product AND r.day = k.day AND r.name = k.name AND r.context = k.context AND r.install = k.install
              FOR UPDATE) r
            """);
        read.Parameters.AddRange(KeyColumns(keys));
        return read;
    }

    private NpgsqlBatchCommand Write(List<RowKey> keys, string onConflict)
    {
        var rows = keys.Select(After).ToList();
        var write = new NpgsqlBatchCommand($"""
            INSERT INTO rollup_events AS r (product, day, name, context, install, n, summary)
            SELECT * FROM unnest(@product, @day, @name, @context, @install, @n, @summary)
            ON CONFLICT (product, day, name, context, install) {onConflict}
            """);
        write.Parameters.AddRange(KeyColumns(keys));
        write.Parameters.Add(Array("n", NpgsqlDbType.Bigint, rows.Select(r => r.N)));
        write.Parameters.Add(Array("summary", NpgsqlDbType.Bytea, rows.Select(r => r.Summary)));
        return write;
    }

    private static NpgsqlParameter[] KeyColumns(List<RowKey> keys) =>
    [
        Array("product", NpgsqlDbType.Integer, keys.Select(k => k.Product)),
        Array("day", NpgsqlDbType.Date, keys.Select(k => k.Day)),
        Array("name", NpgsqlDbType.Integer, keys.Select(k => k.Name)),
        Array("context", NpgsqlDbType.Integer, keys.Select(k => k.Context)),
        Array("install", NpgsqlDbType.Uuid, keys.Select(k => k.Install)),
    ];

    private static RowKey KeyOf(NpgsqlDataReader reader) =>
        new(reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetGuid(4));

    /// <summary>A <c>rollup_events</c> row's key, ordered as its primary key (the install as .NET orders it).</summary>
    private readonly record struct RowKey(int Product, DateOnly Day, int Name, int Context, Guid Install) : IComparable<RowKey>
    {
        public int CompareTo(RowKey other) =>
            (Product, Day, Name, Context, Install).CompareTo((other.Product, other.Day, other.Name, other.Context, other.Install));
    }
}
