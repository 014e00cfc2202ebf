using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Makes deletions on PostgreSQL erase bytes, not only rows. A <c>DELETE</c> leaves the row's bytes in the table's
/// and indexes' files until a vacuum frees the space and later rows happen to overwrite it; a plain vacuum never
/// clears them. So each deletion (on request or by retention) leaves a mark in <c>erasures</c>, in the deleting
/// transaction, and <see cref="CompactAsync"/> rewrites the tables that hold events and rollups
/// (<c>VACUUM FULL</c>: new files with the live rows only, the old files removed) once the oldest mark is old enough.
/// What it cannot reach (write-ahead log segments, backups, replicas) is stated in docs/collector.md.
/// </summary>
internal static class PostgresErasure
{
    /// <summary>Every table that holds an install ID, an event or a rollup contribution.</summary>
    public const string Tables = "events, rollup_events, rollup_values, rollup_measures, install_verifiers";

    /// <summary>Records that rows were deleted, inside the deleting transaction (or alone, with none).</summary>
    public static async Task MarkAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var mark = new NpgsqlCommand("INSERT INTO erasures(since) VALUES (now())", connection, transaction);
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
            await using var started = new NpgsqlCommand("SELECT clock_timestamp()", connection);
            var start = (DateTime)(await started.ExecuteScalarAsync(cancellationToken))!;
            await using (var vacuum = new NpgsqlCommand($"VACUUM FULL {Tables}", connection) { CommandTimeout = 0 })
            {
                await vacuum.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var clear = new NpgsqlCommand("DELETE FROM erasures WHERE since <= @start", connection);
            clear.Parameters.AddWithValue("start", start);
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
}
