using System.Diagnostics;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// What SQLite alone can do with the collector's rows: the events a run stored, read back as rows, inserted
/// into a fresh file with the collector's schema, its PRAGMAs (WAL, the same synchronous setting) and its
/// largest transaction, through one prepared statement. Interning, rollups, HTTP and validation are the
/// collector's own cost on top of this.
/// </summary>
internal static class StorageLimit
{
    public static readonly int RowsPerTransaction = new StorageOptions().MaxEventsPerTransaction;

    /// <param name="sourceDatabase">The collector's file after the run.</param>
    /// <param name="folder">Where the fresh file goes.</param>
    /// <param name="arrival">The event IDs in the order they were sent, so rows go in in the order the collector got them.</param>
    /// <param name="flushEachCommit">The collector's <see cref="StorageOptions.FlushEachCommit"/> in the run.</param>
    public static Result Measure(string sourceDatabase, string folder, IReadOnlyList<Guid> arrival, bool flushEachCommit)
    {
        var (columns, stored) = ReadRows(sourceDatabase);
        var rows = arrival.Select(id => stored[id]).ToList();
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, "limit.db");
        using var connection = new SqliteConnection($"Data Source={target};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, flushEachCommit ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
        Execute(connection, SqliteSchema.Create);

        using var insert = connection.CreateCommand();
        // The columns the collector's file has, so the copy follows the schema's layout as it changes.
        var names = columns.Select(c => "$" + c).ToArray();
        insert.CommandText = $"INSERT INTO events({string.Join(", ", columns)}) VALUES ({string.Join(", ", names)})";
        var parameters = names.Select(n => insert.Parameters.Add(new SqliteParameter(n, null))).ToArray();
        insert.Prepare();

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var transactions = 0;
        for (var start = 0; start < rows.Count; start += RowsPerTransaction)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            foreach (var row in rows.Skip(start).Take(RowsPerTransaction))
            {
                for (var i = 0; i < row.Length; i++)
                {
                    parameters[i].Value = row[i];
                }

                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            transactions++;
        }

        watch.Stop();
        return new Result(rows.Count, transactions, watch.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    private static (string[] Columns, Dictionary<Guid, object[]> Rows) ReadRows(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT * FROM events";
        using var reader = select.ExecuteReader();
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var id = Array.IndexOf(columns, "id");
        var rows = new Dictionary<Guid, object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows[new Guid((byte[])row[id])] = row;
        }

        return (columns, rows);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public sealed record Result(int Rows, int Transactions, TimeSpan Elapsed, TimeSpan Cpu)
    {
        public double RowsPerSecond => Rows / Elapsed.TotalSeconds;
    }
}
