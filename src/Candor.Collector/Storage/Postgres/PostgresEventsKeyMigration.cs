using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The events table rebuilt for size and for the write path (<see cref="PostgresEventWriter"/>): the unique key
/// becomes <c>(time, id)</c> with full index pages, and replaces both the key on <c>(id, time)</c> and the index on
/// <c>(product, time)</c>; a <c>stamped</c> column marks the rows stamped with their arrival, and only those rows'
/// IDs are indexed (for finding their retries in any month); the columns are ordered so that none waits for
/// alignment. The table is rebuilt by <see cref="PostgresEventsRebuild"/>. Rows stored before carry
/// <c>stamped = false</c>: what was stamped then is not known.
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

    private static Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        PostgresEventsRebuild.RunAsync(connection, transaction, Aside, ["events_by_time"], CreateEvents, $"""
            INSERT INTO events(time, id, install, product, name, revision, context, stamped, data)
              SELECT time, id, install, product, name, revision, context, false, data FROM events{Aside} ORDER BY time, id
            """, cancellationToken);
}
