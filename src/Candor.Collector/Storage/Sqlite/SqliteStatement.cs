using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// One prepared statement on the writer's connection, bound by parameter position and stepped directly. The
/// writer runs its de-duplication lookup and staging insert once per event and its rollup upsert once per row;
/// through <see cref="SqliteCommand"/> each run looked every parameter up by name, boxed every value, copied
/// every blob and built a data reader, which together cost more than SQLite's own insert. Statements run inside whatever transaction the connection has
/// open. Not thread-safe: only the writer loop uses it.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;

    /// <summary>Prepares <paramref name="sql"/> once, for the life of the connection.</summary>
    /// <exception cref="SqliteException">The statement does not compile.</exception>
    public SqliteStatement(SqliteConnection connection, string sql)
    {
        _connection = connection;
        Check(raw.sqlite3_prepare_v3(connection.Handle, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement));
    }

    /// <summary>Sets parameter <paramref name="index"/> (1-based, in the order the SQL names them).</summary>
    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Sets a blob parameter; SQLite copies the bytes, so the span may be reused at once.</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Sets a parameter to NULL.</summary>
    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, index));

    /// <summary>Runs the statement to its end and returns how many rows it changed.</summary>
    /// <exception cref="SqliteException">SQLite refused it (a constraint, a full disk, ...); the statement is reset either way.</exception>
    public int Execute()
    {
        var step = raw.sqlite3_step(_statement);
        while (step == raw.SQLITE_ROW)
        {
            step = raw.sqlite3_step(_statement);
        }

        if (step != raw.SQLITE_DONE)
        {
            var message = raw.sqlite3_errmsg(_connection.Handle).utf8_to_string();
            raw.sqlite3_reset(_statement);
            throw new SqliteException(message, step);
        }

        var changes = raw.sqlite3_changes(_connection.Handle);
        raw.sqlite3_reset(_statement);
        return changes;
    }

    /// <summary>Runs the statement to its first row and says whether there was one (an existence check).</summary>
    /// <exception cref="SqliteException">SQLite refused it; the statement is reset either way.</exception>
    public bool HasRow()
    {
        var step = raw.sqlite3_step(_statement);
        if (step is not (raw.SQLITE_ROW or raw.SQLITE_DONE))
        {
            var message = raw.sqlite3_errmsg(_connection.Handle).utf8_to_string();
            raw.sqlite3_reset(_statement);
            throw new SqliteException(message, step);
        }

        raw.sqlite3_reset(_statement);
        return step == raw.SQLITE_ROW;
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int code)
    {
        if (code != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_connection.Handle).utf8_to_string(), code);
        }
    }
}
