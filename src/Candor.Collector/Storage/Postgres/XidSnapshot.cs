using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Which transactions a snapshot sees, as PostgreSQL gives it (<c>pg_current_snapshot()</c>): every one before
/// <see cref="Xmin"/>, none from <see cref="Xmax"/> on, and between them all but those still running when it was
/// taken (<see cref="Running"/>). Transaction IDs are the 64-bit <c>xid8</c>, which do not wrap around.
/// <see cref="PostgresRecentDays"/> asks it whether a build already counted a commit of this collector.
/// </summary>
internal readonly record struct XidSnapshot(long Xmin, long Xmax, long[] Running)
{
    /// <summary>Whether the committed transaction <paramref name="xid"/> is seen: its rows are in what was read.</summary>
    public bool Sees(long xid) => xid < Xmin || (xid < Xmax && Array.IndexOf(Running, xid) < 0);

    /// <summary>The snapshot of <paramref name="transaction"/> (repeatable read: the one every statement of it reads in).</summary>
    public static async Task<XidSnapshot> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("""
            SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint,
                   ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x)
            FROM pg_current_snapshot() AS s
            """, connection, transaction);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new XidSnapshot(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<long[]>(2));
    }
}
