using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

internal sealed partial class PostgresEventStore
{
    // ---- events -------------------------------------------------------------------------------------------

    public Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<IncomingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<AppendOutcome>>([]);
        }

        var work = new AppendWork(events);
        return _queue.TryAdd(work) ? work.Task : Task.FromException<IReadOnlyList<AppendOutcome>>(new ObjectDisposedException(nameof(PostgresEventStore)));
    }

    // An install's events are found through the days its rollup rows name (each day one range of the time index),
    // plus one range for the days before the product's oldest rollup, as in the SQLite store, by the install's
    // number. One transaction, so the raw events and the rollup rows go together. The number goes first: a writer
    // storing the install's events holds its row (PostgresEventWriter), so this waits for that writer's commit and
    // the statements after it see its events and rollup rows; a writer after it finds no number and makes a new one.
    public async Task<long> DeleteInstallAsync(string product, Guid install, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var productId = await ScalarAsync<int?>(connection, transaction, "SELECT id FROM products WHERE name = @product", cancellationToken, ("product", product));
        if (productId is null)
        {
            return 0;
        }

        var touched = new HashSet<string>(StringComparer.Ordinal);
        int? number = null;
        await using (var forget = new NpgsqlCommand("DELETE FROM install_numbers WHERE product = @product AND install = @install RETURNING number, tableoid::regclass::text", connection, transaction))
        {
            forget.Parameters.AddWithValue("product", productId.Value);
            forget.Parameters.AddWithValue("install", install);
            await using var reader = await forget.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                number = reader.GetInt32(0);
                touched.Add(reader.GetString(1));
            }
        }

        var ranges = new List<(DateTime From, DateTime To)>();
        var installDays = new List<DateOnly>();
        await using (var days = new NpgsqlCommand("SELECT DISTINCT day FROM rollup_events WHERE product = @product AND install = @install", connection, transaction))
        {
            days.Parameters.AddWithValue("product", productId.Value);
            days.Parameters.AddWithValue("install", install);
            await using var reader = await days.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                installDays.Add(reader.GetFieldValue<DateOnly>(0));
                var day = Start(installDays[^1]);
                ranges.Add((day, day.AddDays(1)));
            }
        }

        // Before the product's oldest rollup day; with no rollups at all, every time (infinity in PostgreSQL).
        var before = DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc);
        await using (var oldest = new NpgsqlCommand("SELECT MIN(day) FROM rollup_events WHERE product = @product", connection, transaction))
        {
            oldest.Parameters.AddWithValue("product", productId.Value);
            await using var reader = await oldest.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0))
            {
                before = Start(reader.GetFieldValue<DateOnly>(0));
            }
        }

        ranges.Add((DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), before));

        // Every event has its install's number: an install without one has no events.
        long deleted = 0;
        if (number is not null)
        {
            await using var delete = new NpgsqlCommand("""
                DELETE FROM events e USING unnest(@from, @to) AS r(from_time, to_time)
                WHERE e.product = @product AND e.time >= r.from_time AND e.time < r.to_time AND e.install = @number
                """, connection, transaction);
            delete.Parameters.AddWithValue("product", productId.Value);
            delete.Parameters.AddWithValue("number", number.Value);
            delete.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = ranges.Select(r => r.From).ToArray() });
            delete.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = ranges.Select(r => r.To).ToArray() });
            deleted = await PostgresErasure.DeleteAsync(delete, touched, cancellationToken, "e.tableoid");
        }

        foreach (var table in new[] { "rollup_events", "install_verifiers" })
        {
            await using var rollups = new NpgsqlCommand($"DELETE FROM {table} WHERE install = @install AND product = @product", connection, transaction);
            rollups.Parameters.AddWithValue("product", productId.Value);
            rollups.Parameters.AddWithValue("install", install);
            await PostgresErasure.DeleteAsync(rollups, touched, cancellationToken);
        }

        // The install is in the day rollups of its days too: those go, to be built again without it, and the days
        // get a new version, so that no collector counts a part it holds in memory or built before.
        if (installDays.Count > 0)
        {
            await using (var forget = new NpgsqlCommand("DELETE FROM day_rollups WHERE product = @product AND day = ANY(@days)", connection, transaction))
            {
                forget.Parameters.AddWithValue("product", productId.Value);
                forget.Parameters.Add(new NpgsqlParameter("days", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = installDays.ToArray() });
                await PostgresErasure.DeleteAsync(forget, touched, cancellationToken);
            }

            await PostgresDayVersions.TouchAsync(connection, transaction, productId.Value, [.. installDays], cancellationToken);
        }

        await PostgresErasure.MarkAsync(connection, transaction, touched, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<byte[]?> GetInstallVerifierAsync(string product, Guid install, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT verifier FROM install_verifiers WHERE product = (SELECT id FROM products WHERE name = @product) AND install = @install");
        cmd.Parameters.AddWithValue("product", product);
        cmd.Parameters.AddWithValue("install", install);
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    // Whole months first: each partition that ends by the cutoff and holds only this product's events is dropped,
    // its files with it. What is left before the cutoff (the month that straddles it, and older months that other
    // products still keep) is deleted in chunks, each its own transaction, so that no deletion holds locks for long.
    // One collector at a time per product: the others find the lock taken and leave the work to it (and report 0).
    public async Task<long> DeleteEventsBeforeAsync(string product, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (!await ScalarAsync<bool>(connection, null, $"SELECT pg_try_advisory_lock({PostgresSchema.LockKey("retention", "product")})", cancellationToken, ("product", product)))
        {
            return 0;
        }

        try
        {
            var productId = await ScalarAsync<int?>(connection, null, "SELECT id FROM products WHERE name = @product", cancellationToken, ("product", product));
            if (productId is null)
            {
                return 0;
            }

            var total = await _partitions.DropBeforeAsync(["events"], productId.Value, DateOnly.FromDateTime(cutoff.UtcDateTime), cancellationToken);
            await using var delete = new NpgsqlCommand("""
                DELETE FROM events WHERE time < @cutoff AND (id, time) IN (
                  SELECT id, time FROM events WHERE product = @product AND time < @cutoff LIMIT @limit)
                """, connection);
            delete.Parameters.AddWithValue("product", productId.Value);
            delete.Parameters.AddWithValue("cutoff", Dialect.Time(cutoff));
            delete.Parameters.AddWithValue("limit", _deleteChunk);
            var sql = delete.CommandText;
            var touched = new HashSet<string>(StringComparer.Ordinal);
            long rows = 0;
            long deleted;
            do
            {
                delete.CommandText = sql;
                deleted = await PostgresErasure.DeleteAsync(delete, touched, cancellationToken);
                rows += deleted;
            }
            while (deleted == _deleteChunk);

            if (total + rows > 0)
            {
                // Dropped partitions took their bytes with their files; deleted rows leave theirs until compaction.
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await PostgresUnusedInstalls.ForgetAsync(connection, transaction, productId.Value, touched, cancellationToken);
                await PostgresErasure.MarkAsync(connection, transaction, touched, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }

            return total + rows;
        }
        finally
        {
            // The connection goes back to the pool, which keeps session locks: release it explicitly.
            await ScalarAsync<bool>(connection, null, $"SELECT pg_advisory_unlock({PostgresSchema.LockKey("retention", "product")})", CancellationToken.None, ("product", product));
        }
    }

    // As for events: whole months of the rollup tables first, then the rows left before the cutoff.
    public async Task<long> DeleteRollupsBeforeAsync(string product, DateOnly cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await ScalarAsync<bool>(connection, transaction, $"SELECT pg_try_advisory_xact_lock({PostgresSchema.LockKey("retention", "product")})", cancellationToken, ("product", product)))
        {
            return 0;
        }

        var productId = await ScalarAsync<int?>(connection, transaction, "SELECT id FROM products WHERE name = @product", cancellationToken, ("product", product));
        if (productId is null)
        {
            return 0;
        }

        var dropped = await _partitions.DropBeforeAsync(PostgresPartitions.RollupTables, productId.Value, cutoff, cancellationToken);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        long deleted = 0;
        foreach (var table in PostgresPartitions.RollupTables)
        {
            await using var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE product = @product AND day < @day", connection, transaction);
            delete.Parameters.AddWithValue("product", productId.Value);
            delete.Parameters.AddWithValue("day", cutoff);
            deleted += await PostgresErasure.DeleteAsync(delete, touched, cancellationToken);
        }

        await using (var versions = new NpgsqlCommand("DELETE FROM day_versions WHERE product = @product AND day < @day", connection, transaction))
        {
            versions.Parameters.AddWithValue("product", productId.Value);
            versions.Parameters.AddWithValue("day", cutoff);
            await versions.ExecuteNonQueryAsync(cancellationToken);
        }

        // A verifier or an install number can only fall out of use when rows of its install went; with nothing
        // deleted the pass over the product's events is skipped (it runs at every retention run, the first one at
        // every start).
        if (dropped + deleted > 0)
        {
            await PostgresUnusedInstalls.ForgetAsync(connection, transaction, productId.Value, touched, cancellationToken);
        }

        await PostgresErasure.MarkAsync(connection, transaction, touched, cancellationToken);

        await transaction.CommitAsync(cancellationToken);
        return dropped + deleted;
    }

    public Task<bool> CompactErasedAsync(TimeSpan age, CancellationToken cancellationToken) =>
        PostgresErasure.CompactAsync(_dataSource, age, cancellationToken);
}
