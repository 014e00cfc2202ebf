using Candor.Collector.Storage.DayRollups;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>The SQLite schema and the conversions between dates and the day numbers it stores.</summary>
internal static class SqliteSchema
{
    public const long MillisecondsPerDay = 86_400_000;
    public const int ContainerFlag = ContextFlags.Container;
    public const int WslFlag = ContextFlags.Wsl;
    public const int InteractiveFlag = ContextFlags.Interactive;

    /// <summary>The layout this code writes, kept in <c>PRAGMA user_version</c>.</summary>
    public const int Version = 6;

    // Layout 5 is layout 4 with the staging tables and install_days instead of an index of the rollups by install;
    // Create makes a layout-4 file one, in its transaction. Layout 6 is layout 5 with each day rollup entry's top
    // count (DayRollup), each install's deletion verifier, the collector's secrets, and without the machine hash
    // that events once carried. Create forgets the day rollups of an older file (they are derived: the queries
    // rebuild them) and adds the new tables; Upgrade adds and drops the columns and records the layout.
    private const int UpgradableVersion = 4;

    private const int TopsVersion = 6;

    /// <summary>The rollup rows under this event name count every event of the install that day (the empty string's ID).</summary>
    public const long AnyEvent = RollupRead.AnyEvent;

    /// <summary>The SQL function that merges two <see cref="RollupSummary"/> blobs; the writer's connection defines it.</summary>
    public const string MergeFunction = "candor_merge";

    public static long DayNumber(DateOnly date) => RollupPeriods.DayNumber(date);

    public static DateOnly DateOf(long dayNumber) => RollupPeriods.DateOf(dayNumber);

    /// <summary>Refuses a file that an earlier or later layout wrote, with a sentence saying what to do.</summary>
    /// <exception cref="IOException">The file holds another layout.</exception>
    public static void CheckLayout(SqliteConnection connection, string path)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT (SELECT user_version FROM pragma_user_version), (SELECT COUNT(*) FROM sqlite_schema WHERE name = 'events')";
        using var reader = cmd.ExecuteReader();
        reader.Read();
        var (version, hasEvents) = (reader.GetInt64(0), reader.GetInt64(1) > 0);
        if (version > Version || (version < UpgradableVersion && hasEvents))
        {
            throw new IOException(
                $"{path} was written by {(version > Version ? "a newer" : "an earlier")} version of the collector (layout {version}, this one reads {Version}); " +
                "move it aside to start with an empty store");
        }
    }

    // Strings, contexts and installs are interned so that an event row holds small integers. Events are one
    // B-tree ordered by product and time (WITHOUT ROWID): ranges, retention and de-duplication need no other
    // index, and new events land at the end of the tree instead of at random places of an ID index, so a commit
    // writes few pages. The ID is de-duplicated together with the time, which a retry carries unchanged. Rollups
    // hold one row per product, event name, day, context and install: the install makes distinct installs (user
    // counts and k-anonymity) exact over any range of days, and the values and durations of those events are a
    // small summary blob in the row rather than a row each. Name comes before day so that a query about one event
    // reads only that event's rows; the rows under name 0 count all events of an install that day, for queries
    // about every event. A stored event costs one insert and at most two rollup upserts, made when it is folded
    // from the staging tables (staged_events in arrival order, staged_rollups one blob per commit; see Writer).
    public static readonly string Create = $"""
        CREATE TABLE IF NOT EXISTS products(
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          retention_months INTEGER NOT NULL,
          k INTEGER NOT NULL,
          created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS manifests(
          product INTEGER NOT NULL,
          revision INTEGER NOT NULL,
          json TEXT NOT NULL,
          registered INTEGER NOT NULL,
          PRIMARY KEY(product, revision)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS credentials(
          id INTEGER PRIMARY KEY,
          hash BLOB NOT NULL UNIQUE,
          role INTEGER NOT NULL,
          product TEXT,
          name TEXT NOT NULL,
          created INTEGER NOT NULL,
          revoked INTEGER);
        CREATE TABLE IF NOT EXISTS audit(
          id INTEGER PRIMARY KEY,
          time INTEGER NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          target TEXT NOT NULL,
          detail TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS strings(
          id INTEGER PRIMARY KEY,
          value TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS contexts(
          id INTEGER PRIMARY KEY,
          version INTEGER NOT NULL, os INTEGER NOT NULL, os_version INTEGER NOT NULL, arch INTEGER NOT NULL,
          runtime INTEGER NOT NULL, ci INTEGER NOT NULL, host INTEGER NOT NULL, flags INTEGER NOT NULL, country INTEGER NOT NULL,
          UNIQUE(version, os, os_version, arch, runtime, ci, host, flags, country));
        CREATE TABLE IF NOT EXISTS installs(
          id INTEGER PRIMARY KEY,
          product INTEGER NOT NULL,
          uid BLOB NOT NULL,
          verifier BLOB,
          UNIQUE(product, uid));
        CREATE TABLE IF NOT EXISTS events(
          product INTEGER NOT NULL,
          time INTEGER NOT NULL,
          id BLOB NOT NULL,
          name INTEGER NOT NULL,
          revision INTEGER NOT NULL,
          install INTEGER NOT NULL,
          context INTEGER NOT NULL,
          data BLOB,
          PRIMARY KEY(product, time, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rollups(
          product INTEGER NOT NULL, name INTEGER NOT NULL, day INTEGER NOT NULL, context INTEGER NOT NULL,
          install INTEGER NOT NULL, n INTEGER NOT NULL, summary BLOB,
          PRIMARY KEY(product, name, day, context, install)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS install_days(
          install INTEGER NOT NULL, day INTEGER NOT NULL,
          PRIMARY KEY(install, day)) WITHOUT ROWID;
        INSERT OR IGNORE INTO install_days(install, day)
          SELECT DISTINCT install, day FROM rollups WHERE (SELECT user_version FROM pragma_user_version) = {UpgradableVersion};
        DROP INDEX IF EXISTS rollups_by_install;
        CREATE TABLE IF NOT EXISTS staged_events(
          product INTEGER NOT NULL, time INTEGER NOT NULL, id BLOB NOT NULL, name INTEGER NOT NULL, revision INTEGER NOT NULL,
          install INTEGER NOT NULL, context INTEGER NOT NULL, data BLOB);
        CREATE TABLE IF NOT EXISTS staged_rollups(
          id INTEGER PRIMARY KEY,
          data BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS day_versions(
          product INTEGER NOT NULL, day INTEGER NOT NULL, version INTEGER NOT NULL,
          PRIMARY KEY(product, day)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS day_rollups(
          product INTEGER NOT NULL, name INTEGER NOT NULL, part INTEGER NOT NULL, day INTEGER NOT NULL,
          version INTEGER NOT NULL, data BLOB NOT NULL,
          PRIMARY KEY(product, name, part, day));
        DELETE FROM day_rollups WHERE (SELECT user_version FROM pragma_user_version) < {TopsVersion};
        CREATE TABLE IF NOT EXISTS collector_secrets(
          name TEXT PRIMARY KEY,
          value BLOB NOT NULL);
        """;

    /// <summary>
    /// Brings a file of an earlier layout (read by <see cref="CheckLayout"/>) to this one, after <see cref="Create"/> and
    /// in its transaction, then records the layout. A layout-4 or 5 file gets the installs' verifier column (empty: those
    /// installs get the first verifier their SDK sends, or are deleted by an administrator) and loses the machine hash
    /// of its events: dropping the column rewrites the events table once, and secure_delete zeroes the old pages.
    /// </summary>
    public static void Upgrade(SqliteConnection connection)
    {
        if (!HasColumn(connection, "installs", "verifier"))
        {
            Run(connection, "ALTER TABLE installs ADD COLUMN verifier BLOB");
        }

        foreach (var table in new[] { "events", "staged_events" })
        {
            if (HasColumn(connection, table, "machine"))
            {
                Run(connection, $"ALTER TABLE {table} DROP COLUMN machine");
            }
        }

        Run(connection, $"PRAGMA user_version = {Version}");
    }

    private static bool HasColumn(SqliteConnection connection, string table, string column)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column";
        cmd.Parameters.AddWithValue("$table", table);
        cmd.Parameters.AddWithValue("$column", column);
        return (long)cmd.ExecuteScalar()! > 0;
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
