using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Forgets the installs of a product that no rollup row and no event names any more, after retention deleted rows:
/// their numbers and verifiers would keep the install IDs after every trace of them expired (the SQLite store
/// forgets such an install too). Events hold install numbers (<see cref="PostgresInstallNumbersMigration"/>), so a
/// number goes only when no event holds it, and no writer is storing events with it.
/// </summary>
internal static class PostgresUnusedInstalls
{
    /// <summary>
    /// Deletes the product's unused install numbers and verifiers in <paramref name="transaction"/> (the caller
    /// commits), adding the tables it deleted from to <paramref name="touched"/>.
    /// </summary>
    public static async Task ForgetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int product, ISet<string> touched, CancellationToken cancellationToken)
    {
        // One pass over the product's events finds the numbers none holds (NOT IN builds a set: events have no index
        // by install); it takes no lock, so writers go on meanwhile.
        var unused = new List<int>();
        await using (var find = new NpgsqlCommand("""
            SELECT n.number FROM install_numbers n WHERE n.product = @product
              AND NOT EXISTS (SELECT 1 FROM rollup_events r WHERE r.install = n.install AND r.product = n.product)
              AND n.number NOT IN (SELECT install FROM events WHERE product = @product)
            """, connection, transaction))
        {
            find.Parameters.AddWithValue("product", product);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                unused.Add(reader.GetInt32(0));
            }
        }

        // Then the numbers are locked, skipping those a writer holds now (PostgresEventWriter: they are in use, and
        // are looked at again by the next run), and deleted if still no rollup row names their install: a writer
        // that stored an event with one since the pass stored its rollup row too, and this later statement sees it.
        // A writer that comes after the lock waits for this transaction, finds no number and makes a new one.
        if (unused.Count > 0)
        {
            await using var delete = new NpgsqlCommand("""
                WITH locked AS (
                  SELECT number FROM install_numbers WHERE product = @product AND number = ANY(@unused)
                  FOR UPDATE SKIP LOCKED)
                SELECT array_agg(number) FROM locked
                """, connection, transaction);
            delete.Parameters.AddWithValue("product", product);
            delete.Parameters.AddWithValue("unused", unused.ToArray());
            var locked = await delete.ExecuteScalarAsync(cancellationToken) as int[] ?? [];
            delete.CommandText = """
                DELETE FROM install_numbers i WHERE i.product = @product AND i.number = ANY(@unused)
                  AND NOT EXISTS (SELECT 1 FROM rollup_events r WHERE r.install = i.install AND r.product = i.product)
                """;
            delete.Parameters["unused"].Value = locked;
            await PostgresErasure.DeleteAsync(delete, touched, cancellationToken, "i.tableoid");
        }

        // Every event has a number, so a verifier whose install has no number and no rollup row has no events either.
        await using var verifiers = new NpgsqlCommand("""
            DELETE FROM install_verifiers v WHERE v.product = @product
              AND NOT EXISTS (SELECT 1 FROM rollup_events r WHERE r.install = v.install AND r.product = v.product)
              AND NOT EXISTS (SELECT 1 FROM install_numbers n WHERE n.install = v.install AND n.product = v.product)
            """, connection, transaction);
        verifiers.Parameters.AddWithValue("product", product);
        await PostgresErasure.DeleteAsync(verifiers, touched, cancellationToken, "v.tableoid");
    }
}
