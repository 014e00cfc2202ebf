using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteWriter
{
    // Events carry no index by install (it would cost ~11 bytes per event); install_days says which days the
    // install has rollup rows (so events) on, so each day is one range of the time index. Days older than every
    // rollup row of the product (rollups are kept by day, for the whole product) are covered by one more range.
    public long DeleteInstall(string product, Guid install)
    {
        Fold();
        var find = Command("SELECT id, product FROM installs WHERE product = (SELECT id FROM products WHERE name = $product) AND uid = $uid");
        find.Parameters["$product"].Value = product;
        find.Parameters["$uid"].Value = install.ToByteArray();
        long id, productId;
        using (var reader = find.ExecuteReader())
        {
            if (!reader.Read())
            {
                return 0;
            }

            (id, productId) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        var days = new List<long>();
        var dayQuery = Command("SELECT day FROM install_days WHERE install = $id");
        dayQuery.Parameters["$id"].Value = id;
        using (var reader = dayQuery.ExecuteReader())
        {
            while (reader.Read())
            {
                days.Add(reader.GetInt64(0));
            }
        }

        var oldest = Command($"SELECT MIN(day) FROM rollups WHERE product = $product AND name = {SqliteSchema.AnyEvent}");
        oldest.Parameters["$product"].Value = productId;
        var before = oldest.ExecuteScalar() is long day ? day * SqliteSchema.MillisecondsPerDay : long.MaxValue;

        var delete = Command("DELETE FROM events WHERE product = $product AND time >= $from AND time < $to AND install = $id");
        delete.Parameters["$product"].Value = productId;
        delete.Parameters["$id"].Value = id;
        long deleted = 0;
        foreach (var (from, to) in days.Select(d => (d * SqliteSchema.MillisecondsPerDay, (d + 1) * SqliteSchema.MillisecondsPerDay)).Append((long.MinValue, before)))
        {
            delete.Parameters["$from"].Value = from;
            delete.Parameters["$to"].Value = to;
            deleted += delete.ExecuteNonQuery();
        }

        // The install is in the day rollups of its days too: those days get a new version and their day
        // rollups go, to be built again without it.
        var forget = Command("DELETE FROM day_rollups WHERE product = $product AND day IN (SELECT value FROM json_each($days))");
        forget.Parameters["$product"].Value = productId;
        forget.Parameters["$days"].Value = "[" + string.Join(',', days.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
        forget.ExecuteNonQuery();
        var touch = Command("UPDATE day_versions SET version = $version WHERE product = $product AND day IN (SELECT value FROM json_each($days))");
        touch.Parameters["$version"].Value = NextVersion();
        touch.Parameters["$product"].Value = productId;
        touch.Parameters["$days"].Value = forget.Parameters["$days"].Value;
        touch.ExecuteNonQuery();
        // Rollups have no index by install (see install_days): the install's rows of a day are found in the
        // range of each event name and that day.
        var next = Command("SELECT MIN(name) FROM rollups WHERE product = $product AND name > $after");
        next.Parameters["$product"].Value = productId;
        next.Parameters["$after"].Value = SqliteSchema.AnyEvent - 1;
        var names = new List<long>();
        while (next.ExecuteScalar() is long name)
        {
            names.Add(name);
            next.Parameters["$after"].Value = name;
        }

        var rows = Command("DELETE FROM rollups WHERE product = $product AND name = $name AND day = $day AND install = $id");
        rows.Parameters["$product"].Value = productId;
        rows.Parameters["$id"].Value = id;
        foreach (var name in names)
        {
            rows.Parameters["$name"].Value = name;
            foreach (var d in days)
            {
                rows.Parameters["$day"].Value = d;
                rows.ExecuteNonQuery();
            }
        }

        ExecuteWithId("DELETE FROM install_days WHERE install = $id", id);
        ExecuteWithId("DELETE FROM installs WHERE id = $id", id);
        _installs.Clear();
        return deleted;
    }

    public long DeleteEventsBefore(string product, DateTimeOffset cutoff, int limit)
    {
        Fold();
        var delete = Command("""
            DELETE FROM events WHERE (product, time, id) IN (
              SELECT product, time, id FROM events WHERE product = (SELECT id FROM products WHERE name = $product) AND time < $cutoff LIMIT $limit)
            """);
        delete.Parameters["$product"].Value = product;
        delete.Parameters["$cutoff"].Value = cutoff.ToUnixTimeMilliseconds();
        delete.Parameters["$limit"].Value = limit;
        return delete.ExecuteNonQuery();
    }

    public long DeleteRollupsBefore(string product, long day)
    {
        Fold();
        // Name by name, so that each delete is a range of the rollups' B-tree rather than a pass over all of it.
        var next = Command("SELECT MIN(name) FROM rollups WHERE product = (SELECT id FROM products WHERE name = $product) AND name > $after");
        var delete = Command("DELETE FROM rollups WHERE product = (SELECT id FROM products WHERE name = $product) AND name = $name AND day < $day");
        next.Parameters["$product"].Value = product;
        next.Parameters["$after"].Value = SqliteSchema.AnyEvent - 1;
        delete.Parameters["$product"].Value = product;
        delete.Parameters["$day"].Value = day;
        long deleted = 0;
        while (next.ExecuteScalar() is long name)
        {
            delete.Parameters["$name"].Value = name;
            deleted += delete.ExecuteNonQuery();
            next.Parameters["$after"].Value = name;
        }

        var forget = Command("DELETE FROM day_rollups WHERE product = (SELECT id FROM products WHERE name = $product) AND day < $day");
        forget.Parameters["$product"].Value = product;
        forget.Parameters["$day"].Value = day;
        forget.ExecuteNonQuery();
        var installDays = Command("""
            DELETE FROM install_days WHERE day < $day
              AND install IN (SELECT id FROM installs WHERE product = (SELECT id FROM products WHERE name = $product))
            """);
        installDays.Parameters["$product"].Value = product;
        installDays.Parameters["$day"].Value = day;
        installDays.ExecuteNonQuery();
        var versions = Command("DELETE FROM day_versions WHERE product = (SELECT id FROM products WHERE name = $product) AND day < $day");
        versions.Parameters["$product"].Value = product;
        versions.Parameters["$day"].Value = day;
        versions.ExecuteNonQuery();
        if (deleted > 0)
        {
            ForgetUnusedInstalls(product);
        }

        return deleted;
    }

    // An install ID that no event and no rollup row names any more is kept by nothing else, so it goes too.
    // One pass over the product's events (NOT IN builds a set), as events have no index by install.
    public long ForgetUnusedInstalls(string product)
    {
        Fold();
        var cmd = Command("""
            DELETE FROM installs WHERE product = (SELECT id FROM products WHERE name = $product)
              AND id NOT IN (SELECT install FROM events WHERE product = (SELECT id FROM products WHERE name = $product))
              AND NOT EXISTS (SELECT 1 FROM install_days d WHERE d.install = installs.id)
            """);
        cmd.Parameters["$product"].Value = product;
        var forgotten = cmd.ExecuteNonQuery();
        _installs.Clear();
        return forgotten;
    }
}
