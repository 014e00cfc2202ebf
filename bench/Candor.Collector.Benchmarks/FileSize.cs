using Microsoft.Data.Sqlite;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// Bytes per stored event: the whole file (events, indexes, rollups, catalogue) after a checkpoint and VACUUM.
/// A file that was vacuumed before and has no free pages since is only checkpointed: VACUUM would rewrite a
/// gigabyte to the same size.
/// </summary>
internal static class FileSize
{
    public static Result Measure(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA wal_checkpoint(TRUNCATE);");
        var vacuumed = File.Exists(database + ".vacuumed") && Scalar(connection, "PRAGMA freelist_count") == 0;
        if (!vacuumed)
        {
            Execute(connection, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
            File.WriteAllText(database + ".vacuumed", "");
        }

        var events = Scalar(connection, "SELECT COUNT(*) FROM events");
        connection.Close();
        return new Result(new FileInfo(database).Length, events);
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

    public sealed record Result(long Bytes, long Events)
    {
        public double BytesPerEvent => Bytes / (double)Events;
    }
}
