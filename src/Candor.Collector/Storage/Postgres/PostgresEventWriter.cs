using Candor.Manifest;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Writes one batch of events and its rollups in one transaction. De-duplication is the database's, by event ID:
/// the events table is partitioned by time, so its unique key is <c>(id, time)</c>, and events go in with
/// <c>INSERT ... WHERE NOT EXISTS (the ID at any time) ON CONFLICT (id, time) DO NOTHING RETURNING id</c>. An ID
/// that any collector committed before comes back as a duplicate whatever its time (an OpenTelemetry or Application
/// Insights item without a time is stamped with its arrival, so its retry has the same ID and another time); one
/// that another collector commits while this batch waits for it with the same time (every retry of a Candor
/// event: the time is in the event's bytes) is a duplicate through the key. Only the rows that were really inserted
/// are counted into the rollups. Rows and rollup keys are written in a fixed order so that collectors writing
/// overlapping batches take their locks in the same order and do not deadlock. The month partitions a batch
/// needs are made before its transaction (<see cref="PostgresPartitions"/>).
/// </summary>
internal sealed class PostgresEventWriter(NpgsqlDataSource dataSource, PostgresInterner interner, PostgresPartitions partitions)
{
    // A lost connection or a deadlock is worth another try: the batch is idempotent, so a commit that did reach
    // the database before the failure only turns this batch's events into duplicates on the retry.
    private const int Attempts = 3;

    public async Task<AppendOutcome[]> WriteAsync(IReadOnlyList<IncomingEvent> events, CancellationToken cancellationToken)
    {
        var products = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!products.ContainsKey(e.Product))
            {
                products[e.Product] = await interner.ProductAsync(e.Product, cancellationToken);
            }
        }

        var ids = await interner.InternAsync(events.SelectMany(StringsOf), events.Select(e => e.Context), cancellationToken);

        // The first occurrence of an ID in the batch is the one that may be stored; later ones are duplicates.
        var first = new Dictionary<Guid, int>();
        for (var i = 0; i < events.Count; i++)
        {
            first.TryAdd(events[i].Id, i);
        }

        var rows = first.Values.Select(i => new Row(events[i], products[events[i].Product], ids)).OrderBy(r => r.Event.Id).ToList();
        var months = rows.Select(r => PostgresPartitions.MonthOf(r.Day)).Distinct().ToList();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await partitions.EnsureAsync(months, cancellationToken);
                var stored = await InsertAsync(rows, cancellationToken);
                var outcomes = new AppendOutcome[events.Count];
                for (var i = 0; i < events.Count; i++)
                {
                    outcomes[i] = first[events[i].Id] == i && stored.Contains(events[i].Id) ? AppendOutcome.Stored : AppendOutcome.Duplicate;
                }

                return outcomes;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && attempt < Attempts)
            {
                // Try again at once: the conflicting transaction has ended by now.
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation && attempt < Attempts)
            {
                // No partition for a row's month: retention on another collector dropped one this process had made.
                partitions.Forget();
            }
        }
    }

    private async Task<HashSet<Guid>> InsertAsync(List<Row> rows, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = new HashSet<Guid>();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO events(id, product, time, name, revision, install, context, data)
            SELECT * FROM unnest(@id, @product, @time, @name, @revision, @install, @context, @data)
              AS u(id, product, time, name, revision, install, context, data)
            WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = u.id)
            ON CONFLICT (id, time) DO NOTHING
            RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.Add(Array("id", NpgsqlDbType.Uuid, rows.Select(r => r.Event.Id)));
            insert.Parameters.Add(Array("product", NpgsqlDbType.Integer, rows.Select(r => r.Product)));
            insert.Parameters.Add(Array("time", NpgsqlDbType.TimestampTz, rows.Select(r => r.Time)));
            insert.Parameters.Add(Array("name", NpgsqlDbType.Integer, rows.Select(r => r.Name)));
            insert.Parameters.Add(Array("revision", NpgsqlDbType.Integer, rows.Select(r => r.Event.Revision)));
            insert.Parameters.Add(Array("install", NpgsqlDbType.Uuid, rows.Select(r => r.Event.Install)));
            insert.Parameters.Add(Array("context", NpgsqlDbType.Integer, rows.Select(r => r.Context)));
            insert.Parameters.Add(Array("data", NpgsqlDbType.Bytea, rows.Select(r => r.Data)));
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add(reader.GetGuid(0));
            }
        }

        // The first verifier an install is seen with stays; a later different one changes nothing (see IEventStore).
        var verified = rows.Where(r => r.Event.Verifier is not null && stored.Contains(r.Event.Id))
            .DistinctBy(r => (r.Product, r.Event.Install)).ToList();
        if (verified.Count > 0)
        {
            await using var verifiers = new NpgsqlCommand("""
                INSERT INTO install_verifiers(product, install, verifier)
                SELECT * FROM unnest(@product, @install, @verifier)
                ON CONFLICT (product, install) DO NOTHING
                """, connection, transaction);
            verifiers.Parameters.Add(Array("product", NpgsqlDbType.Integer, verified.Select(r => r.Product)));
            verifiers.Parameters.Add(Array("install", NpgsqlDbType.Uuid, verified.Select(r => r.Event.Install)));
            verifiers.Parameters.Add(Array("verifier", NpgsqlDbType.Bytea, verified.Select(r => r.Event.Verifier!)));
            await verifiers.ExecuteNonQueryAsync(cancellationToken);
        }

        var rollups = new Rollups();
        foreach (var row in rows.Where(r => stored.Contains(r.Event.Id)))
        {
            rollups.Add(row);
        }

        await rollups.WriteAsync(connection, transaction, cancellationToken);

        // Late events change a day whose day rollup may be kept: it gets a new version. Live traffic (today's
        // events, on this process's clock) skips the statement; the database's clock decides the rest, and a day
        // is kept only an hour after it ended on that clock, so a clock behind by less than that misses nothing.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var late = rows.Where(r => r.Day < today && stored.Contains(r.Event.Id)).Select(r => (r.Product, r.Day)).ToList();
        if (late.Count > 0)
        {
            await PostgresDayVersions.MarkChangedAsync(connection, transaction, late, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    private static IEnumerable<string> StringsOf(IncomingEvent e)
    {
        yield return e.Definition.Name;
        foreach (var property in e.Properties)
        {
            yield return property.Field.Name;
            foreach (var value in property.Values)
            {
                yield return value;
            }
        }

        foreach (var measurement in e.Measurements)
        {
            yield return measurement.Field.Name;
        }
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values.ToArray() };

    /// <summary>One event as its row holds it, with the IDs its rollups need.</summary>
    private sealed class Row
    {
        public Row(IncomingEvent e, int product, InternedIds ids)
        {
            Event = e;
            Product = product;
            Ids = ids;
            Name = ids.String(e.Definition.Name);
            Context = ids.Contexts[e.Context];

            // Milliseconds, as the SQLite store keeps them, so both stores answer alike.
            var milliseconds = e.Time.ToUnixTimeMilliseconds();
            Time = DateTime.UnixEpoch.AddMilliseconds(milliseconds);
            Day = DateOnly.FromDateTime(Time);
            Data = PropertyCodec.Encode(e, value => ids.String(value));
        }

        public IncomingEvent Event { get; }

        public int Product { get; }

        public InternedIds Ids { get; }

        public int Name { get; }

        public int Context { get; }

        public DateTime Time { get; }

        public DateOnly Day { get; }

        public byte[]? Data { get; }
    }

    /// <summary>The batch's counts per rollup key, written as one upsert per table in key order.</summary>
    private sealed class Rollups
    {
        private readonly SortedDictionary<(int Product, DateOnly Day, int Name, int Context, Guid Install), long> _events = [];
        private readonly SortedDictionary<(int Product, DateOnly Day, int Name, int Field, int Value, int Context, Guid Install), long> _values = [];
        private readonly SortedDictionary<(int Product, DateOnly Day, int Name, int Field, int Context, int Bucket), long> _measures = [];

        public void Add(Row row)
        {
            var e = row.Event;
            Count(_events, (row.Product, row.Day, row.Name, row.Context, e.Install));
            foreach (var property in e.Properties)
            {
                var field = row.Ids.String(property.Field.Name);
                foreach (var value in property.Values)
                {
                    Count(_values, (row.Product, row.Day, row.Name, field, row.Ids.String(value), row.Context, e.Install));
                }
            }

            foreach (var measurement in e.Measurements.Where(m => m.Field.Kind is FieldKind.Duration))
            {
                Count(_measures, (row.Product, row.Day, row.Name, row.Ids.String(measurement.Field.Name), row.Context, DurationHistogram.BucketOf(measurement.Value)));
            }
        }

        public async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
        {
            if (_events.Count > 0)
            {
                await using var upsert = Upsert(connection, transaction, "rollup_events", "product, day, name, context, install");
                var keys = _events.Keys;
                upsert.Parameters.Add(Array("product", NpgsqlDbType.Integer, keys.Select(k => k.Product)));
                upsert.Parameters.Add(Array("day", NpgsqlDbType.Date, keys.Select(k => k.Day)));
                upsert.Parameters.Add(Array("name", NpgsqlDbType.Integer, keys.Select(k => k.Name)));
                upsert.Parameters.Add(Array("context", NpgsqlDbType.Integer, keys.Select(k => k.Context)));
                upsert.Parameters.Add(Array("install", NpgsqlDbType.Uuid, keys.Select(k => k.Install)));
                upsert.Parameters.Add(Array("n", NpgsqlDbType.Bigint, _events.Values));
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            if (_values.Count > 0)
            {
                await using var upsert = Upsert(connection, transaction, "rollup_values", "product, day, name, field, value, context, install");
                var keys = _values.Keys;
                upsert.Parameters.Add(Array("product", NpgsqlDbType.Integer, keys.Select(k => k.Product)));
                upsert.Parameters.Add(Array("day", NpgsqlDbType.Date, keys.Select(k => k.Day)));
                upsert.Parameters.Add(Array("name", NpgsqlDbType.Integer, keys.Select(k => k.Name)));
                upsert.Parameters.Add(Array("field", NpgsqlDbType.Integer, keys.Select(k => k.Field)));
                upsert.Parameters.Add(Array("value", NpgsqlDbType.Integer, keys.Select(k => k.Value)));
                upsert.Parameters.Add(Array("context", NpgsqlDbType.Integer, keys.Select(k => k.Context)));
                upsert.Parameters.Add(Array("install", NpgsqlDbType.Uuid, keys.Select(k => k.Install)));
                upsert.Parameters.Add(Array("n", NpgsqlDbType.Bigint, _values.Values));
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            if (_measures.Count > 0)
            {
                await using var upsert = Upsert(connection, transaction, "rollup_measures", "product, day, name, field, context, bucket");
                var keys = _measures.Keys;
                upsert.Parameters.Add(Array("product", NpgsqlDbType.Integer, keys.Select(k => k.Product)));
                upsert.Parameters.Add(Array("day", NpgsqlDbType.Date, keys.Select(k => k.Day)));
                upsert.Parameters.Add(Array("name", NpgsqlDbType.Integer, keys.Select(k => k.Name)));
                upsert.Parameters.Add(Array("field", NpgsqlDbType.Integer, keys.Select(k => k.Field)));
                upsert.Parameters.Add(Array("context", NpgsqlDbType.Integer, keys.Select(k => k.Context)));
                upsert.Parameters.Add(Array("bucket", NpgsqlDbType.Integer, keys.Select(k => k.Bucket)));
                upsert.Parameters.Add(Array("n", NpgsqlDbType.Bigint, _measures.Values));
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        // Counts from several collectors add up: the upsert adds this batch's count to whatever is committed.
        private static NpgsqlCommand Upsert(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, string key)
        {
            var parameters = string.Join(", ", key.Split(", ").Append("n").Select(c => "@" + c));
            return new NpgsqlCommand($"""
                INSERT INTO {table} AS r ({key}, n) SELECT * FROM unnest({parameters})
                ON CONFLICT ({key}) DO UPDATE SET n = r.n + excluded.n
                """, connection, transaction);
        }

        private static void Count<TKey>(SortedDictionary<TKey, long> counts, TKey key)
            where TKey : notnull =>
            counts[key] = counts.GetValueOrDefault(key) + 1;
    }
}
