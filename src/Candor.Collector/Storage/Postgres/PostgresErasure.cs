using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Makes deletions on PostgreSQL erase bytes, not only rows. A <c>DELETE</c> leaves the row's bytes in the table's
/// and indexes' files until a vacuum frees the space and later rows happen to overwrite it; a plain vacuum never
/// clears them. So each deletion (on request or by retention) leaves a mark in <c>erasures</c> for each table or
/// month partition it deleted from, in the deleting transaction, and <see cref="CompactAsync"/> rewrites those
/// (<c>VACUUM FULL</c>: new files with the live rows only, the old files removed) once the oldest mark is old enough.
/// A month partition dropped whole takes its files with it and needs no mark.
/// What it cannot reach (write-ahead log segments, backups, replicas) is stated in docs/collector.md.
/// </summary>
internal static class PostgresErasure
{
    /// <summary>Every table that holds an install ID, an event or a rollup contribution.</summary>
    public const string Tables = "events, rollup_events, rollup_measures, install_verifiers, day_rollups, install_numbers";

    /// <summary>
    /// Runs a <c>DELETE</c> (its SQL without <c>RETURNING</c>; <paramref name="tableOid"/> names the deleted rows'
    /// <c>tableoid</c>), adds the tables or partitions it deleted from to <paramref name="touched"/>, and returns
    /// how many rows it deleted.
    /// </summary>
    public static async Task<long> DeleteAsync(NpgsqlCommand delete, ISet<string> touched, CancellationToken cancellationToken, string tableOid = "tableoid")
    {
        delete.CommandText = $"WITH deleted AS ({delete.CommandText} RETURNING {tableOid} AS relation) SELECT relation::regclass::text, COUNT(*) FROM deleted GROUP BY relation";
        long total = 0;
        await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            touched.Add(reader.GetString(0));
            total += reader.GetInt64(1);
        }

        return total;
    }

    /// <summary>Records that rows were deleted from <paramref name="touched"/>, inside the deleting transaction (or alone, with none).</summary>
    public static async Task MarkAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<string> touched, CancellationToken cancellationToken)
    {
        if (touched.Count == 0)
        {
            return;
        }

        await using var mark = new NpgsqlCommand("INSERT INTO erasures(since, relation) SELECT now(), unnest(@relations)", connection, transaction);
        mark.Parameters.AddWithValue("relations", touched.ToArray());
        await mark.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Rewrites the tables when a deletion marked at least <paramref name="age"/> ago (on the database's clock) has not
    /// been compacted yet, then clears the marks it covered. One collector at a time: another that finds the advisory
    /// lock taken leaves the work to it. The rewrite locks each table while it copies it, so ingestion waits (and the
    /// SDK retries) for as long as that takes.
    /// </summary>
    /// <returns>Whether the tables were rewritten.</returns>
    public static async Task<bool> CompactAsync(NpgsqlDataSource dataSource, TimeSpan age, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var due = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM erasures WHERE since <= now() - @age)", connection))
        {
            due.Parameters.AddWithValue("age", age < TimeSpan.Zero ? TimeSpan.Zero : age);
            if (!(bool)(await due.ExecuteScalarAsync(cancellationToken))!)
            {
                return false;
            }
        }

        await using (var take = new NpgsqlCommand($"SELECT pg_try_advisory_lock({PostgresSchema.LockKey("erasure")})", connection))
        {
            if (!(bool)(await take.ExecuteScalarAsync(cancellationToken))!)
            {
                return false;
            }
        }

        try
        {
            // Marks made while the tables are rewritten may name rows the rewrite copied; they stay for the next time.
            // A mark without a table (made before marks named one) stands for every table.
            await using var started = new NpgsqlCommand("SELECT clock_timestamp()", connection);
            var start = (DateTime)(await started.ExecuteScalarAsync(cancellationToken))!;
            var marked = new List<string?>();
            await using (var read = new NpgsqlCommand("SELECT DISTINCT relation FROM erasures WHERE since <= @start", connection))
            {
                read.Parameters.AddWithValue("start", start);
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    marked.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
                }
            }

            var everything = marked.Contains(null);
            var targets = everything ? [.. Tables.Split(", ")] : await ExistingAsync(connection, [.. marked.OfType<string>()], cancellationToken);
            if (targets.Count > 0)
            {
                await using var vacuum = new NpgsqlCommand($"VACUUM FULL {string.Join(", ", targets)}", connection) { CommandTimeout = 0 };
                await vacuum.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var clear = new NpgsqlCommand("DELETE FROM erasures WHERE since <= @start AND (@everything OR relation = ANY(@marked))", connection);
            clear.Parameters.AddWithValue("start", start);
            clear.Parameters.AddWithValue("everything", everything);
            clear.Parameters.AddWithValue("marked", marked.OfType<string>().ToArray());
            await clear.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        finally
        {
            // The connection goes back to the pool, which keeps session locks: release it explicitly.
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresSchema.LockKey("erasure")})", connection);
            await release.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    // The marked tables that still exist: a month partition retention dropped since needs no rewrite.
    private static async Task<List<string>> ExistingAsync(NpgsqlConnection connection, string[] relations, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT r FROM unnest(@relations) r WHERE to_regclass(r) IS NOT NULL ORDER BY r", connection);
        exists.Parameters.AddWithValue("relations", relations);
        var existing = new List<string>();
        await using var reader = await exists.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            existing.Add(reader.GetString(0));
        }

        return existing;
    }
}
