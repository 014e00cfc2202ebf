using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The events table rebuilt for size and for the write path (<see cref="PostgresEventWriter"/>): the unique key
/// becomes <c>(time, id)</c> with full index pages, and replaces both the key on <c>(id, time)</c> and the index on
/// <c>(product, time)</c>; a <c>stamped</c> column marks the rows stamped with their arrival, and only those rows'
/// IDs are indexed (for finding their retries in any month); the columns are ordered so that none waits for
/// alignment. In the migration's transaction (which holds the schema's advisory lock): the old table loses its
/// indexes and is renamed aside with its month partitions, the new one is made with a partition for every month
/// the old one had, the rows are copied in key order and the old table is dropped (its files with it, deleted
/// rows' bytes included). Rows stored before carry <c>stamped = false</c>: what was stamped then is not known.
/// </summary>
internal static class PostgresEventsKeyMigration
{
    private const string Aside = "_before_time_key";

    public static Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> Steps => ApplyAsync;

    // Where the key is built in order (this copy, the rewrite after an erasure, new events at its right end) its
    // pages are left full (fillfactor 100) rather than 90 % full: a month no longer written gains nothing from free
    // space, and events out of time order split pages in the middle whatever the setting. The heap holds the time
    // first and the two UUIDs after it, then the four integers, the flag and the packed properties, without padding.
    /// <summary>The events table as this migration makes it (partitions are made by <see cref="PostgresPartitions"/>).</summary>
    private const string CreateEvents = """
        CREATE TABLE events(
          time timestamptz NOT NULL,
          id uuid NOT NULL,
          install uuid NOT NULL,
          product integer NOT NULL,
          name integer NOT NULL,
          revision integer NOT NULL,
          context integer NOT NULL,
          stamped boolean NOT NULL DEFAULT false,
          data bytea,
          PRIMARY KEY (time, id) WITH (fillfactor = 100)) PARTITION BY RANGE (time);
        CREATE INDEX events_stamped ON events(id) WHERE stamped;
        """;

    private static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, "LOCK TABLE events IN ACCESS EXCLUSIVE MODE", cancellationToken);
        var partitions = await PostgresPartitions.ListAsync(connection, transaction, "events", cancellationToken);

        // The old indexes go first, so the new ones can take their names; the old rows are read in one pass anyway.
        var aside = new List<string>
        {
            "ALTER TABLE events DROP CONSTRAINT events_pkey",
            "DROP INDEX events_by_time",
            $"ALTER TABLE events RENAME TO events{Aside}",
        };
        aside.AddRange(partitions.Select(p => $"ALTER TABLE {p.Name} RENAME TO {p.Name}{Aside}"));
        await ExecuteAsync(connection, transaction, string.Join(";\n", aside) + ";\n" + CreateEvents, cancellationToken);

        await PostgresPartitions.CreateAsync(connection, transaction, [.. partitions.Select(p => p.Month)], cancellationToken);
        await ExecuteAsync(connection, transaction, $"""
            INSERT INTO events(time, id, install, product, name, revision, context, stamped, data)
              SELECT time, id, install, product, name, revision, context, false, data FROM events{Aside} ORDER BY time, id;
            DROP TABLE events{Aside};
            """, cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
