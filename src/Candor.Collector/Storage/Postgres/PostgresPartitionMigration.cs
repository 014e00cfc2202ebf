using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Schema version 5: the events table and the three day rollup tables become tables partitioned by month. In the
/// migration's transaction (which holds the schema's advisory lock): the old tables and their indexes are renamed
/// aside, the partitioned tables are made under the old names with the same columns, keys and indexes (the events'
/// key becomes <c>(id, time)</c>), a partition is made for every month the old rows name, the rows are copied, and
/// the old tables are dropped (their files with them, deleted rows' bytes included). A large database is rewritten
/// whole, and ingestion waits for it.
/// </summary>
internal static class PostgresPartitionMigration
{
    private const string Aside = "_before_partitions";

    public static Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> Steps => ApplyAsync;

    private static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, $"""
            LOCK TABLE events, rollup_events, rollup_values, rollup_measures IN ACCESS EXCLUSIVE MODE;
            ALTER TABLE events RENAME TO events{Aside};
            ALTER INDEX events_pkey RENAME TO events{Aside}_pkey;
            ALTER INDEX events_by_time RENAME TO events{Aside}_by_time;
            ALTER TABLE rollup_events RENAME TO rollup_events{Aside};
            ALTER INDEX rollup_events_pkey RENAME TO rollup_events{Aside}_pkey;
            ALTER INDEX rollup_events_by_install RENAME TO rollup_events{Aside}_by_install;
            ALTER TABLE rollup_values RENAME TO rollup_values{Aside};
            ALTER INDEX rollup_values_pkey RENAME TO rollup_values{Aside}_pkey;
            ALTER INDEX rollup_values_by_install RENAME TO rollup_values{Aside}_by_install;
            ALTER TABLE rollup_measures RENAME TO rollup_measures{Aside};
            ALTER INDEX rollup_measures_pkey RENAME TO rollup_measures{Aside}_pkey;

            CREATE TABLE events(
              id uuid NOT NULL,
              product integer NOT NULL,
              time timestamptz NOT NULL,
              name integer NOT NULL,
              revision integer NOT NULL,
              install uuid NOT NULL,
              context integer NOT NULL,
              data bytea,
              PRIMARY KEY(id, time)) PARTITION BY RANGE (time);
            CREATE INDEX events_by_time ON events(product, time);
            CREATE TABLE rollup_events(
              product integer NOT NULL, day date NOT NULL, name integer NOT NULL, context integer NOT NULL,
              install uuid NOT NULL, n bigint NOT NULL,
              PRIMARY KEY(product, day, name, context, install)) PARTITION BY RANGE (day);
            CREATE INDEX rollup_events_by_install ON rollup_events(install);
            CREATE TABLE rollup_values(
              product integer NOT NULL, day date NOT NULL, name integer NOT NULL, field integer NOT NULL, value integer NOT NULL,
              context integer NOT NULL, install uuid NOT NULL, n bigint NOT NULL,
              PRIMARY KEY(product, day, name, field, value, context, install)) PARTITION BY RANGE (day);
            CREATE INDEX rollup_values_by_install ON rollup_values(install);
            CREATE TABLE rollup_measures(
              product integer NOT NULL, day date NOT NULL, name integer NOT NULL, field integer NOT NULL,
              context integer NOT NULL, bucket integer NOT NULL, n bigint NOT NULL,
              PRIMARY KEY(product, day, name, field, context, bucket)) PARTITION BY RANGE (day);
            """, cancellationToken);

        var months = new List<DateOnly>();
        await using (var read = new NpgsqlCommand($"""
            SELECT DISTINCT (date_trunc('month', time AT TIME ZONE 'UTC'))::date FROM events{Aside}
            UNION SELECT DISTINCT (date_trunc('month', day))::date FROM rollup_events{Aside}
            UNION SELECT DISTINCT (date_trunc('month', day))::date FROM rollup_values{Aside}
            UNION SELECT DISTINCT (date_trunc('month', day))::date FROM rollup_measures{Aside}
            """, connection, transaction))
        {
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                months.Add(reader.GetFieldValue<DateOnly>(0));
            }
        }

        await PostgresPartitions.CreateAsync(connection, transaction, months, cancellationToken);

        // In key order, so each partition's index is built from sorted input.
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, $"""
            INSERT INTO events(id, product, time, name, revision, install, context, data)
              SELECT id, product, time, name, revision, install, context, data FROM events{Aside} ORDER BY time, id;
            INSERT INTO rollup_events SELECT * FROM rollup_events{Aside} ORDER BY product, day, name, context, install;
            INSERT INTO rollup_values SELECT * FROM rollup_values{Aside} ORDER BY product, day, name, field, value, context, install;
            INSERT INTO rollup_measures SELECT * FROM rollup_measures{Aside} ORDER BY product, day, name, field, context, bucket;
            DROP TABLE events{Aside}, rollup_events{Aside}, rollup_values{Aside}, rollup_measures{Aside};
            """, cancellationToken);
    }
}
