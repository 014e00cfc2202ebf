using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The events table rebuilt for size: each row holds its install's number from <c>install_numbers</c> (an
/// <c>integer</c>) instead of the install's <c>uuid</c>, and its product and revision as <c>smallint</c>, 16 bytes
/// less per row. <c>install_numbers</c> stays the one table of installs: its numbers become <c>integer</c>, and
/// every install with events gets one here (the day rollups numbered only the installs they met). From this version
/// the writer numbers new installs in the transaction that stores their events (<see cref="PostgresEventWriter"/>).
/// Product IDs are kept to 32767 (their sequence stops there) and a revision past 32767 is refused at registration
/// (<see cref="Products.ProductCatalog.MaxRevision"/>); a database already holding a larger one is refused here,
/// with its value named, rather than have it wrap. The table is rebuilt by <see cref="PostgresEventsRebuild"/>.
/// </summary>
internal static class PostgresInstallNumbersMigration
{
    /// <summary>The largest product ID and revision a <c>smallint</c> column holds.</summary>
    public const int MaxSmall = short.MaxValue;

    private const string Aside = "_before_install_numbers";

    public static Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> Steps => ApplyAsync;

    // The heap holds the time, the ID, then the three integers, the two small ones and the flag before the packed
    // properties, so that no column waits for alignment.
    private const string CreateEvents = """
        CREATE TABLE events(
          time timestamptz NOT NULL,
          id uuid NOT NULL,
          install integer NOT NULL,
          name integer NOT NULL,
          context integer NOT NULL,
          product smallint NOT NULL,
          revision smallint NOT NULL,
          stamped boolean NOT NULL DEFAULT false,
          data bytea,
          PRIMARY KEY (time, id) WITH (fillfactor = 100)) PARTITION BY RANGE (time);
        CREATE INDEX events_stamped ON events(id) WHERE stamped;
        """;

    private static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, "LOCK TABLE events IN ACCESS EXCLUSIVE MODE", cancellationToken);
        await RefuseAsync(connection, transaction, "SELECT MAX(id) FROM products", "product ID", cancellationToken);
        await RefuseAsync(connection, transaction, "SELECT MAX(revision) FROM manifests", "manifest revision", cancellationToken);

        // Until now each registration of a known product took a value of the sequence (ON CONFLICT DO UPDATE draws
        // one before it finds the row): one past the cap starts again after the largest ID, as products are never
        // deleted. Install numbers are taken in (product, install) order, as the day rollups take them; those
        // already made stay.
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, $"""
            SELECT setval(q.s, COALESCE(q.m, 1), q.m IS NOT NULL)
              FROM (SELECT pg_get_serial_sequence('products', 'id')::regclass AS s, (SELECT MAX(id) FROM products) AS m) q
              WHERE pg_sequence_last_value(q.s) > {MaxSmall};
            ALTER TABLE products ALTER COLUMN id SET MAXVALUE {MaxSmall};
            ALTER TABLE install_numbers ALTER COLUMN number TYPE integer;
            INSERT INTO install_numbers(product, install)
              SELECT DISTINCT e.product, e.install FROM events e
              WHERE NOT EXISTS (SELECT 1 FROM install_numbers n WHERE n.product = e.product AND n.install = e.install)
              ORDER BY 1, 2;
            """, cancellationToken);

        await PostgresEventsRebuild.RunAsync(connection, transaction, Aside, ["events_stamped"], CreateEvents, $"""
            INSERT INTO events(time, id, install, name, context, product, revision, stamped, data)
              SELECT e.time, e.id, n.number, e.name, e.context, e.product, e.revision, e.stamped, e.data
              FROM events{Aside} e JOIN install_numbers n ON n.product = e.product AND n.install = e.install
              ORDER BY e.time, e.id
            """, cancellationToken);
    }

    private static async Task RefuseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string what, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(sql, connection, transaction);
        if (await read.ExecuteScalarAsync(cancellationToken) is int largest && largest > MaxSmall)
        {
            throw new InvalidOperationException(
                $"the database holds {what} {largest}, past {MaxSmall}, the largest the events table keeps from schema version 9; it stays at version 8");
        }
    }
}
