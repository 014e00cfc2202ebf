using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Writes one batch of events and its rollups in one transaction, in four round trips: the new installs' numbers
/// and the events, then the install verifiers, the duration buckets and the locked read of the rollup rows, then the
/// rollup rows merged, then the commit. De-duplication is the database's: the events table is
/// partitioned by time, so its unique key is <c>(time, id)</c>, and events go in with <c>INSERT ... ON CONFLICT
/// (time, id) DO NOTHING RETURNING id</c>. Every Candor event carries its own time and a retry repeats it, so the
/// key alone finds a retry, in its month's partition, also when another collector commits it while this batch
/// waits. An OpenTelemetry or Application Insights item without a time is stamped with its arrival
/// (<see cref="IncomingEvent.StampedOnArrival"/>), so its retry has the same ID and another time: only such rows
/// have their ID looked for in every month first. Only the rows that were really inserted are counted into the
/// rollups, folded per batch (<see cref="PostgresRollupBatch"/>). Rows and rollup keys are written in a fixed
/// order so that collectors writing overlapping batches take their locks in the same order and do not deadlock.
/// The month partitions a batch needs are made before its transaction (<see cref="PostgresPartitions"/>).
/// <para>
/// An event row holds its install's number from <c>install_numbers</c>, not its ID. A batch numbers the installs it
/// does not find there, then (in a later statement, which sees numbers another collector committed meanwhile) reads
/// its installs' numbers with a key-share lock as it inserts the events: a deletion of the install, or retention
/// forgetting it, locks that row to delete it, so it waits for this transaction and then sees its events, or this
/// batch waits for it and finds no number. An event without a number fails the insert (<c>install</c> is
/// <c>NOT NULL</c>) and the batch is tried again, which numbers the install anew.
/// </para>
/// </summary>
internal sealed class PostgresEventWriter(NpgsqlDataSource dataSource, PostgresInterner interner, PostgresPartitions partitions, PostgresRecentDays recent)
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

        var rows = first.Values.Select(i => new Row(events[i], products[events[i].Product], ids)).OrderBy(r => (r.Time, r.Event.Id)).ToList();
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
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.NotNullViolation && ex.ColumnName == "install" && attempt < Attempts)
            {
                // An install was deleted between its numbering and the insert: numbered again on the next try.
            }
        }
    }

    private async Task<HashSet<Guid>> InsertAsync(List<Row> rows, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = new HashSet<Guid>();
        var numbers = new Dictionary<Guid, long>();
        var installs = rows.Select(r => (r.Product, r.Event.Install)).Distinct().Order().ToList();
        var number = new NpgsqlBatchCommand(NumberInstalls);
        number.Parameters.Add(PostgresRollupBatch.Array("product", NpgsqlDbType.Integer, installs.Select(i => i.Product)));
        number.Parameters.Add(PostgresRollupBatch.Array("install", NpgsqlDbType.Uuid, installs.Select(i => i.Install)));

        // Product and revision go as integers: the smallint columns refuse one that does not fit rather than wrap it.
        var insert = new NpgsqlBatchCommand(InsertEvents);
        insert.Parameters.Add(PostgresRollupBatch.Array("time", NpgsqlDbType.TimestampTz, rows.Select(r => r.Time)));
        insert.Parameters.Add(PostgresRollupBatch.Array("id", NpgsqlDbType.Uuid, rows.Select(r => r.Event.Id)));
        insert.Parameters.Add(PostgresRollupBatch.Array("install", NpgsqlDbType.Uuid, rows.Select(r => r.Event.Install)));
        insert.Parameters.Add(PostgresRollupBatch.Array("name", NpgsqlDbType.Integer, rows.Select(r => r.Name)));
        insert.Parameters.Add(PostgresRollupBatch.Array("context", NpgsqlDbType.Integer, rows.Select(r => r.Context)));
        insert.Parameters.Add(PostgresRollupBatch.Array("product", NpgsqlDbType.Integer, rows.Select(r => r.Product)));
        insert.Parameters.Add(PostgresRollupBatch.Array("revision", NpgsqlDbType.Integer, rows.Select(r => r.Event.Revision)));
        insert.Parameters.Add(PostgresRollupBatch.Array("stamped", NpgsqlDbType.Boolean, rows.Select(r => r.Event.StampedOnArrival)));
        insert.Parameters.Add(PostgresRollupBatch.Array("data", NpgsqlDbType.Bytea, rows.Select(r => r.Data)));
        await using (var numberAndInsert = new NpgsqlBatch(connection, transaction) { BatchCommands = { number, insert } })
        {
            await using var reader = await numberAndInsert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add(reader.GetGuid(0));
                numbers[reader.GetGuid(0)] = reader.GetInt32(1);
            }
        }

        // The verifiers, the duration buckets and the locked read of the rollup rows go in one round trip: they
        // depend on which rows were stored, not on each other. The rollup rows are written in the next.
        await using var batch = new NpgsqlBatch(connection, transaction);

        // The first verifier an install is seen with stays; a later different one changes nothing (see IEventStore).
        var verified = rows.Where(r => r.Event.Verifier is not null && stored.Contains(r.Event.Id))
            .DistinctBy(r => (r.Product, r.Event.Install)).OrderBy(r => (r.Product, r.Event.Install)).ToList();
        if (verified.Count > 0)
        {
            var verifiers = new NpgsqlBatchCommand("""
                INSERT INTO install_verifiers(product, install, verifier)
                SELECT * FROM unnest(@product, @install, @verifier)
                ON CONFLICT (product, install) DO NOTHING
                """);
            verifiers.Parameters.Add(PostgresRollupBatch.Array("product", NpgsqlDbType.Integer, verified.Select(r => r.Product)));
            verifiers.Parameters.Add(PostgresRollupBatch.Array("install", NpgsqlDbType.Uuid, verified.Select(r => r.Event.Install)));
            verifiers.Parameters.Add(PostgresRollupBatch.Array("verifier", NpgsqlDbType.Bytea, verified.Select(r => r.Event.Verifier!)));
            batch.BatchCommands.Add(verifiers);
        }

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var rollups = new PostgresRollupBatch();
        foreach (var row in rows.Where(r => stored.Contains(r.Event.Id)))
        {
            rollups.Add(row.Event, row.Product, row.Day, row.Name, row.Context, value => row.Ids.String(value));
        }

        rollups.AddTo(batch);
        PostgresCommitRows? recentRows = null;
        if (batch.BatchCommands.Count > 0)
        {
            long xid;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                xid = await rollups.ReadAsync(reader, cancellationToken);
            }

            await rollups.WriteAsync(connection, transaction, cancellationToken);

            // The newest days' rows are folded into the parts this collector holds of them once committed, with the
            // install numbers the stored events were given; a day or two before yesterday on this clock covers one
            // behind the database's.
            var installNumbers = new Dictionary<(int Product, Guid Install), long>();
            foreach (var row in rows.Where(r => stored.Contains(r.Event.Id)))
            {
                installNumbers[(row.Product, row.Event.Install)] = numbers[row.Event.Id];
            }

            recentRows = rollups.Recent(today.AddDays(-2), xid, installNumbers);
        }

        // Late events change a day whose day rollup may be kept: it gets a new version. Live traffic (today's
        // events, on this process's clock) skips the statement; the database's clock decides the rest, and a day
        // is kept only an hour after it ended on that clock, so a clock behind by less than that misses nothing.
        var late = rows.Where(r => r.Day < today && stored.Contains(r.Event.Id)).Select(r => (r.Product, r.Day)).ToList();
        if (late.Count > 0)
        {
            foreach (var (product, day, old, version) in await PostgresDayVersions.MarkChangedAsync(connection, transaction, late, cancellationToken))
            {
                // A day that had no version row may have been given one by another collector meanwhile: not folded.
                if (recentRows is not null)
                {
                    recentRows.Versions[(product, day)] = (old ?? -1, version);
                }
            }
        }

        var touched = rows.Where(r => stored.Contains(r.Event.Id)).Select(r => (r.Product, r.Day)).Distinct().ToList();
        if (touched.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return stored;
        }

        var committed = false;
        try
        {
            await transaction.CommitAsync(cancellationToken);
            committed = true;
        }
        finally
        {
            // A commit that failed may still have happened: the days it touched are let go instead.
            recent.EndWrite(committed ? recentRows : null, touched);
        }

        return stored;
    }

    // An event that carries its own time is a duplicate when its (time, id) is stored: a retry repeats both, and the
    // key finds it in the one partition of its month. Only an item stamped with its arrival has its ID looked for at
    // any time, through the index of stamped rows' IDs in every partition (one descent each); the CASE keeps that
    // look from running for the other rows.
    // The numbers this batch's installs have, locked against deletion until the commit (see the class comment).
    private const string InsertEvents = """
        WITH numbered AS (
          SELECT n.product, n.install, n.number FROM install_numbers n
          WHERE (n.product, n.install) IN (SELECT * FROM unnest(@product, @install))
          FOR KEY SHARE)
        INSERT INTO events(time, id, install, name, context, product, revision, stamped, data)
        SELECT u.time, u.id, n.number, u.name, u.context, u.product, u.revision, u.stamped, u.data
        FROM unnest(@time, @id, @install, @name, @context, @product, @revision, @stamped, @data)
          AS u(time, id, install, name, context, product, revision, stamped, data)
          LEFT JOIN numbered n ON n.product = u.product AND n.install = u.install
        WHERE CASE WHEN u.stamped THEN NOT EXISTS (SELECT 1 FROM events e WHERE e.id = u.id AND e.stamped) ELSE true END
        ON CONFLICT (time, id) DO NOTHING
        RETURNING id, install
        """;

    // Only installs without a number take one from the sequence (ON CONFLICT would draw one for every row, and the
    // numbers are integers); two collectors numbering one install at once keep the first one's.
    private const string NumberInstalls = """
        INSERT INTO install_numbers(product, install)
        SELECT w.product, w.install FROM unnest(@product, @install) AS w(product, install)
        WHERE NOT EXISTS (SELECT 1 FROM install_numbers n WHERE n.product = w.product AND n.install = w.install)
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING
        """;

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
}
