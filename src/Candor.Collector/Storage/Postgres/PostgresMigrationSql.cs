using Npgsql;

namespace Candor.Collector.Storage.Postgres;

/// <summary>What the schema migrations share to run their statements.</summary>
internal static class PostgresMigrationSql
{
    /// <summary>Runs <paramref name="sql"/> in the migration's transaction, with no time limit: a copy may be long.</summary>
    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
