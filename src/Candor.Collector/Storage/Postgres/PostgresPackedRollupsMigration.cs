using Candor.Collector.Storage.DayRollups;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Schema 10: an install's property values of one day, event and context are packed into its <c>rollup_events</c>
/// row (<c>summary</c>, the SQLite store's <see cref="RollupSummary"/> encoding without the durations), and
/// <c>rollup_values</c>, one row per value, goes. Each stored event wrote about five <c>rollup_values</c> rows besides
/// its <c>rollup_events</c> row, and those upserts were most of the database's work per event
/// (see <see cref="PostgresRollupBatch"/>). The rows are packed in the migration's transaction, in key order, and
/// the old table is dropped with its month partitions, which removes its files.
/// </summary>
internal static class PostgresPackedRollupsMigration
{
    private const int Chunk = 10_000;

    public static Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> Steps => MigrateAsync;

    private static async Task MigrateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // A collector of schema 9 still writing waits here, then fails on the missing table and its batch is sent again.
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, """
            LOCK TABLE rollup_events, rollup_values IN SHARE ROW EXCLUSIVE MODE;
            ALTER TABLE rollup_events ADD COLUMN summary bytea;
            CREATE TEMPORARY TABLE packed_values(
              product integer, day date, name integer, context integer, install uuid, summary bytea) ON COMMIT DROP;
            DECLARE packing NO SCROLL CURSOR FOR
              SELECT product, day, name, context, install, field, value, n FROM rollup_values
              ORDER BY product, day, name, context, install;
            """, cancellationToken);

        // A row's values may straddle two fetches: the one being packed is written when the next key begins.
        var packed = new List<(int Product, DateOnly Day, int Name, int Context, Guid Install, byte[]? Summary)>();
        (int Product, DateOnly Day, int Name, int Context, Guid Install)? current = null;
        var summary = new RollupSummary();
        for (var fetched = Chunk; fetched == Chunk;)
        {
            fetched = 0;
            await using (var fetch = new NpgsqlCommand($"FETCH {Chunk} FROM packing", connection, transaction))
            await using (var reader = await fetch.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    fetched++;
                    var key = (reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetGuid(4));
                    if (current is { } row && row != key)
                    {
                        packed.Add((row.Product, row.Day, row.Name, row.Context, row.Install, summary.Encode()));
                        summary = new RollupSummary();
                    }

                    current = key;
                    summary.AddValue(reader.GetInt32(5), reader.GetInt32(6), reader.GetInt64(7));
                }
            }

            if (fetched < Chunk && current is { } last)
            {
                packed.Add((last.Product, last.Day, last.Name, last.Context, last.Install, summary.Encode()));
            }

            await using var write = new NpgsqlCommand(
                "INSERT INTO packed_values SELECT * FROM unnest(@product, @day, @name, @context, @install, @summary)", connection, transaction);
            write.Parameters.Add(PostgresRollupBatch.Array("product", NpgsqlDbType.Integer, packed.Select(p => p.Product)));
            write.Parameters.Add(PostgresRollupBatch.Array("day", NpgsqlDbType.Date, packed.Select(p => p.Day)));
            write.Parameters.Add(PostgresRollupBatch.Array("name", NpgsqlDbType.Integer, packed.Select(p => p.Name)));
            write.Parameters.Add(PostgresRollupBatch.Array("context", NpgsqlDbType.Integer, packed.Select(p => p.Context)));
            write.Parameters.Add(PostgresRollupBatch.Array("install", NpgsqlDbType.Uuid, packed.Select(p => p.Install)));
            write.Parameters.Add(PostgresRollupBatch.Array("summary", NpgsqlDbType.Bytea, packed.Select(p => p.Summary)));
            await write.ExecuteNonQueryAsync(cancellationToken);
            packed.Clear();
        }

        // Statistics first, so that the update joins the packed rows by hashing rather than looking each one up.
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, """
            CLOSE packing;
            ANALYZE packed_values;
            UPDATE rollup_events r SET summary = p.summary FROM packed_values p
            WHERE r.product = p.product AND r.day = p.day AND r.name = p.name AND r.context = p.context AND r.install = p.install;
            DROP TABLE rollup_values;
            """, cancellationToken);
    }
}
