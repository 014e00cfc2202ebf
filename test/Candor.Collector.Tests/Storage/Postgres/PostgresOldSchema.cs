using Candor.Collector.Storage.Postgres;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

/// <summary>
/// A database as an earlier collector left it: a new schema brought to an older version by the real migrations
/// (stopped there), filled with every row of a schema the current store wrote. The rows are the store's own (IDs,
/// times, packed data, interned strings, rollup counts); only the tables' shape is the older one.
/// </summary>
internal static class PostgresOldSchema
{
    private static readonly string[] Catalogue = ["products", "manifests", "credentials", "audit", "strings", "contexts"];

    private static readonly string[] Identities = ["products", "credentials", "audit", "strings", "contexts"];

    private static readonly string[] Rollups = ["rollup_events", "rollup_values", "rollup_measures"];

    /// <summary>Makes a schema at <paramref name="version"/> (1 or later) holding the rows of <paramref name="from"/>.</summary>
    public static async Task<(string Schema, string ConnectionString)> CopyAsync(string from, int version)
    {
        var (schema, connectionString) = await PostgresServer.CreateSchemaAsync();
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await PostgresSchema.MigrateAsync(dataSource, version, default);
        }

        // From version 5 the events and rollups are partitioned by month: the months the rows need come first.
        if (version >= 5)
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var months = new List<DateOnly>();
            await using (var read = new NpgsqlCommand($"SELECT DISTINCT date_trunc('month', day)::date FROM {from}.rollup_events", connection, transaction))
            await using (var reader = await read.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    months.Add(reader.GetFieldValue<DateOnly>(0));
                }
            }

            await PostgresPartitions.CreateAsync(connection, transaction, months, default);
            await transaction.CommitAsync();
        }

        var statements = new List<string>();
        statements.AddRange(Catalogue.Select(t => $"INSERT INTO {t} SELECT * FROM {from}.{t}"));
        statements.AddRange(Identities.Select(t => $"SELECT setval(pg_get_serial_sequence('{t}', 'id'), GREATEST((SELECT MAX(id) FROM {t}), 1))"));

        // Version 1 kept a machine hash with each event; later ones dropped it. Before version 9 events held the
        // install's ID, not its number.
        var events = $"{from}.events e JOIN {from}.install_numbers i ON i.product = e.product AND i.number = e.install";
        statements.Add(version == 1
            ? $"INSERT INTO events(id, product, time, name, revision, install, context, machine, data) SELECT e.id, e.product, e.time, e.name, e.revision, i.install, e.context, '\\x00112233445566778899aabbccddeeff', e.data FROM {events}"
            : $"INSERT INTO events(id, product, time, name, revision, install, context, data) SELECT e.id, e.product, e.time, e.name, e.revision, i.install, e.context, e.data FROM {events}");
        statements.AddRange(Rollups.Select(t => $"INSERT INTO {t} SELECT * FROM {from}.{t}"));
        if (version >= 3)
        {
            statements.Add($"INSERT INTO collector_secrets SELECT * FROM {from}.collector_secrets");
        }

        if (version >= 4)
        {
            statements.Add($"INSERT INTO install_verifiers SELECT * FROM {from}.install_verifiers");
        }

        // Version 8 numbered only the installs a day rollup build met: every other install keeps its number here,
        // the rest are left for the migration to number.
        if (version == 8)
        {
            statements.Add($"INSERT INTO install_numbers OVERRIDING SYSTEM VALUE SELECT product, install, number FROM {from}.install_numbers WHERE number % 2 = 0");
            statements.Add("SELECT setval(pg_get_serial_sequence('install_numbers', 'number'), GREATEST((SELECT MAX(number) FROM install_numbers), 1))");
        }

        await PostgresServer.ExecuteAsync(string.Join(";\n", statements), connectionString);
        return (schema, connectionString);
    }
}
