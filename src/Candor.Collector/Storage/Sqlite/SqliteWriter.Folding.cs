using Candor.Collector.Storage.DayRollups;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteWriter
{
    /// <summary>
    /// Moves every staged event into the events tree and adds what they count to the rollups, in the open
    /// transaction and in key order, and gives every day that changed a new version. Returns how many events moved.
    /// </summary>
    /// <param name="whatTheFileHolds">
    /// Look at the staging tables even when this process staged nothing (at start, for what a stopped one left).
    /// </param>
    public long Fold(bool whatTheFileHolds = false)
    {
        StageRollups();
        if (_staged.Count == 0 && !whatTheFileHolds)
        {
            return 0;
        }

        var moved = Command("""
            INSERT INTO events(product, time, id, name, revision, install, context, data)
            SELECT product, time, id, name, revision, install, context, data FROM staged_events WHERE true
            ORDER BY product, time, id
            ON CONFLICT DO NOTHING
            """).ExecuteNonQuery();
        Command("DELETE FROM staged_events").ExecuteNonQuery();
        _staged.Clear();

        var rows = new Dictionary<RollupKey, (long Events, byte[]? Summary)>();
        using (var reader = Command("SELECT data FROM staged_rollups ORDER BY id").ExecuteReader())
        {
            while (reader.Read())
            {
                RollupDeltas.AddTo((byte[])reader.GetValue(0), rows);
            }
        }

        Command("DELETE FROM staged_rollups").ExecuteNonQuery();
        if (rows.Count == 0)
        {
            return moved;
        }

        var upsert = _upsert ??= new SqliteStatement(_connection, $"""
            INSERT INTO rollups(product, day, name, context, install, n, summary)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT DO UPDATE SET n = n + excluded.n, summary = {SqliteSchema.MergeFunction}(summary, excluded.summary)
            """);
        var keys = rows.Keys.ToArray();
        Array.Sort(keys);
        foreach (var key in keys)
        {
            var (events, summary) = rows[key];
            upsert.Bind(1, key.Product);
            upsert.Bind(2, key.Day);
            upsert.Bind(3, key.Name);
            upsert.Bind(4, key.Context);
            upsert.Bind(5, key.Install);
            upsert.Bind(6, events);
            if (summary is not null)
            {
                upsert.Bind(7, summary);
            }
            else
            {
                upsert.BindNull(7);
            }

            upsert.Execute();
        }

        // Which installs have rollup rows on which days, for deleting an install: a table of its own, written in
        // install order, rather than an index of the rollups by install, which took a page of the log for
        // about every new rollup row (its keys are in another order than the rollups').
        var installDay = _installDay ??= new SqliteStatement(_connection, "INSERT OR IGNORE INTO install_days(install, day) VALUES (?1, ?2)");
        var installDays = keys.Select(k => (k.Install, k.Day)).Distinct().ToArray();
        Array.Sort(installDays);
        foreach (var (install, day) in installDays)
        {
            installDay.Bind(1, install);
            installDay.Bind(2, day);
            installDay.Execute();
        }

        // Every day this fold changed gets a new version, so that a day rollup built before no longer counts
        // (queries build it again) and one being built from an older snapshot is not kept.
        var touch = _touch ??= new SqliteStatement(_connection, """
            INSERT INTO day_versions(product, day, version) VALUES (?1, ?2, ?3)
            ON CONFLICT DO UPDATE SET version = excluded.version
            """);
        var version = NextVersion();
        foreach (var (product, day) in keys.Select(k => (k.Product, k.Day)).Distinct())
        {
            touch.Bind(1, product);
            touch.Bind(2, day);
            touch.Bind(3, version);
            touch.Execute();
        }

        return moved;
    }

    // After a rollback the staged events are what the file holds, not what this process had added.
    private void ReloadStaged()
    {
        _staged.Clear();
        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT product, time, id FROM staged_events";
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            _staged.Add((reader.GetInt64(0), reader.GetInt64(1), new Guid((byte[])reader.GetValue(2))));
        }

        Volatile.Write(ref _stagedCount, _staged.Count);
    }

    // Versions only grow, also across restarts (the largest kept is where they resume), so a version never
    // names two different states of a day.
    private long NextVersion()
    {
        _version ??= (long)Command("SELECT MAX(COALESCE((SELECT MAX(version) FROM day_versions), 0), COALESCE((SELECT MAX(version) FROM day_rollups), 0))").ExecuteScalar()!;
        _version++;
        return _version.Value;
    }

    /// <summary>Keeps day rollups a query built, each only if its day has not changed since.</summary>
    public int KeepDayRollups(List<DayRollupRow> rows)
    {
        var keep = Command("""
            INSERT OR REPLACE INTO day_rollups(product, name, part, day, version, data)
            SELECT $product, $name, $part, $day, $version, $data
            WHERE (SELECT version FROM day_versions WHERE product = $product AND day = $day) = $version
            """);
        var kept = 0;
        foreach (var row in rows)
        {
            keep.Parameters["$product"].Value = row.Product;
            keep.Parameters["$name"].Value = row.Name;
            keep.Parameters["$part"].Value = row.Part;
            keep.Parameters["$day"].Value = row.Day;
            keep.Parameters["$version"].Value = row.Version;
            keep.Parameters["$data"].Value = row.Data;
            kept += keep.ExecuteNonQuery();
        }

        return kept;
    }
}
