using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

/// <summary>
/// The PostgreSQL server the tests use: the connection string in <c>CANDOR_TEST_POSTGRES</c>, else the local
/// server that <c>.ci/run</c> sets up. Each test gets a schema of its own, so tests run in parallel on one database.
/// </summary>
internal static class PostgresServer
{
    public const string Variable = "CANDOR_TEST_POSTGRES";

    public const string DefaultConnectionString = "Host=127.0.0.1;Username=postgres;Password=postgres";

    /// <summary>The variable with the connection string of a streaming replica of that server (a read replica).</summary>
    public const string ReplicaVariable = "CANDOR_TEST_POSTGRES_REPLICA";

    public const string DefaultReplicaConnectionString = "Host=127.0.0.1;Port=5433;Username=postgres;Password=postgres";

    private static readonly Lazy<string?> Problem = new(() => Probe(ConnectionString));

    private static readonly Lazy<string?> ReplicaProblem = new(() => Probe(ReplicaConnectionString));

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured ? configured : DefaultConnectionString;

    /// <summary>
    /// Why tests that need the server are skipped, or <see langword="null"/> to run them: always in CI
    /// (<c>CI=true</c>), where a missing server must fail the build rather than hide it.
    /// </summary>
    public static string? SkipReason =>
        Problem.Value is { } problem && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? $"no PostgreSQL server answers ({problem}); set {Variable} to a connection string, or run .ci/run, to run these tests"
            : null;

    public static string ReplicaConnectionString =>
        Environment.GetEnvironmentVariable(ReplicaVariable) is { Length: > 0 } configured ? configured : DefaultReplicaConnectionString;

    /// <summary>As <see cref="SkipReason"/>, for tests that also need the read replica that <c>.ci/run</c> makes.</summary>
    public static string? ReplicaSkipReason =>
        SkipReason ?? (ReplicaProblem.Value is { } problem && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? $"no PostgreSQL read replica answers ({problem}); set {ReplicaVariable} to a replica's connection string, or run .ci/run, to run these tests"
            : null);

    /// <summary>Creates an empty schema and returns its name and a connection string whose search path starts with it.</summary>
    public static async Task<(string Schema, string ConnectionString)> CreateSchemaAsync()
    {
        var schema = "candor_test_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync($"CREATE SCHEMA {schema}");
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema };
        return (schema, builder.ConnectionString);
    }

    /// <summary>
    /// Drops the schema. A session still holding a lock in it (a collector's background work that outlived the test's
    /// collector) is waited for a few seconds, then ended, so that one test's leftover cannot fail another's cleanup.
    /// </summary>
    public static async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var drop = new NpgsqlCommand($"SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable && attempt < 3)
            {
                await using var end = new NpgsqlCommand("""
                    SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                    WHERE c.relnamespace = to_regnamespace(@schema) AND l.pid <> pg_backend_pid() AND l.granted
                    """, connection);
                end.Parameters.AddWithValue("schema", schema);
                await end.ExecuteNonQueryAsync();
            }
        }
    }

    public static async Task<T> ScalarAsync<T>(string sql, string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string sql, string? connectionString = null)
    {
        await using var connection = new NpgsqlConnection(connectionString ?? ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync();
    }

    private static string? Probe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 3, Pooling = false };
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or InvalidOperationException)
        {
            return ex.Message;
        }
    }
}
