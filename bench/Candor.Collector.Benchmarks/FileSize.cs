using Microsoft.Data.Sqlite;

namespace Candor.Collector.Benchmarks;

/// <summary>Bytes per stored event: the whole file (events, indexes, rollups, catalogue) after a checkpoint and VACUUM.</summary>
internal static class FileSize
{
    public static Result Measure(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
        var events = Scalar(connection, "SELECT COUNT(*) FROM events");
        var objects = new List<(string, long)>();
        try
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                objects.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }
        catch (SqliteException)
        {
            // This SQLite build has no dbstat table: the total is still right, only the breakdown is missing.
        }

        connection.Close();
        return new Result(new FileInfo(database).Length, events, objects);
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public sealed record Result(long Bytes, long Events, IReadOnlyList<(string Name, long Bytes)> Objects)
    {
        public double BytesPerEvent => Bytes / (double)Events;
    }
}
