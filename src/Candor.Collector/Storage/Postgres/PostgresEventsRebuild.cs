using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// How a migration rebuilds the events table, in its transaction (which holds the schema's advisory lock): the old
/// table loses its key and indexes (so the new ones can take their names) and is renamed aside with its month
/// partitions, the new one is made with a partition for every month the old one had, the rows are copied in key
/// order in one pass, and the old table is dropped, its files with it (deleted rows' bytes included).
/// </summary>
internal static class PostgresEventsRebuild
{
    /// <param name="connection">The migration's connection.</param>
    /// <param name="transaction">The migration's transaction.</param>
    /// <param name="aside">The suffix the old table and its partitions are renamed with; <paramref name="copy"/> reads <c>events{aside}</c>.</param>
    /// <param name="oldIndexes">The old table's indexes besides its key.</param>
    /// <param name="createEvents">The new table and its indexes.</param>
    /// <param name="copy">The statement that fills the new table from the old.</param>
    /// <param name="cancellationToken">Cancels the rebuild.</param>
    public static async Task RunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string aside, IEnumerable<string> oldIndexes, string createEvents, string copy, CancellationToken cancellationToken)
    {
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, "LOCK TABLE events IN ACCESS EXCLUSIVE MODE", cancellationToken);
        var partitions = await PostgresPartitions.ListAsync(connection, transaction, "events", cancellationToken);
        var steps = new List<string> { "ALTER TABLE events DROP CONSTRAINT events_pkey" };
        steps.AddRange(oldIndexes.Select(index => $"DROP INDEX {index}"));
        steps.Add($"ALTER TABLE events RENAME TO events{aside}");
        steps.AddRange(partitions.Select(p => $"ALTER TABLE {p.Name} RENAME TO {p.Name}{aside}"));
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, string.Join(";\n", steps) + ";\n" + createEvents, cancellationToken);

        await PostgresPartitions.CreateAsync(connection, transaction, [.. partitions.Select(p => p.Month)], cancellationToken);
        await PostgresMigrationSql.ExecuteAsync(connection, transaction, $"{copy};\nDROP TABLE events{aside};", cancellationToken);
    }
}
