using Candor.Collector.Storage.DayRollups;
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
        statements.Add(version switch
        {
            1 => $"INSERT INTO events(id, product, time, name, revision, install, context, machine, data) SELECT e.id, e.product, e.time, e.name, e.revision, i.install, e.context, '\\x00112233445566778899aabbccddeeff', e.data FROM {events}",
            < 9 => $"INSERT INTO events(id, product, time, name, revision, install, context, data) SELECT e.id, e.product, e.time, e.name, e.revision, i.install, e.context, e.data FROM {events}",
            _ => $"INSERT INTO events SELECT * FROM {from}.events",
        });
        statements.Add($"INSERT INTO rollup_measures SELECT * FROM {from}.rollup_measures");

        // Before version 10 each property value had a row of its own in rollup_values, not a place in the summary of
        // its rollup_events row.
        statements.Add(version >= 10
            ? $"INSERT INTO rollup_events SELECT * FROM {from}.rollup_events"
            : $"INSERT INTO rollup_events SELECT product, day, name, context, install, n FROM {from}.rollup_events");
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

        // From version 9 every install with events has its number, which the events hold.
        if (version >= 9)
        {
            statements.Add($"INSERT INTO install_numbers OVERRIDING SYSTEM VALUE SELECT product, install, number FROM {from}.install_numbers");
            statements.Add("SELECT setval(pg_get_serial_sequence('install_numbers', 'number'), GREATEST((SELECT MAX(number) FROM install_numbers), 1))");
        }

        await PostgresServer.ExecuteAsync(string.Join(";\n", statements), connectionString);
        if (version < 10)
        {
            await UnpackValuesAsync(from, connectionString);
        }

        return (schema, connectionString);
    }

    // One rollup_values row per value packed in a rollup_events row of the current schema.
    private static async Task UnpackValuesAsync(string from, string connectionString)
    {
        var rows = new List<(int Product, DateOnly Day, int Name, long Field, long Value, int Context, Guid Install, long N)>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var read = new NpgsqlCommand($"SELECT product, day, name, context, install, summary FROM {from}.rollup_events WHERE summary IS NOT NULL", connection))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var values = RollupSummary.Values(reader.GetFieldValue<byte[]>(5), -1);
                while (values.MoveNext())
                {
                    rows.Add((reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt32(2), values.Field, values.Current.Key, reader.GetInt32(3), reader.GetGuid(4), values.Current.N));
                }
            }
        }

        await using var write = new NpgsqlCommand(
            "INSERT INTO rollup_values SELECT * FROM unnest(@product, @day, @name, @field, @value, @context, @install, @n)", connection);
        write.Parameters.AddWithValue("product", rows.Select(r => r.Product).ToArray());
        write.Parameters.AddWithValue("day", rows.Select(r => r.Day).ToArray());
        write.Parameters.AddWithValue("name", rows.Select(r => r.Name).ToArray());
        write.Parameters.AddWithValue("field", rows.Select(r => (int)r.Field).ToArray());
        write.Parameters.AddWithValue("value", rows.Select(r => (int)r.Value).ToArray());
        write.Parameters.AddWithValue("context", rows.Select(r => r.Context).ToArray());
        write.Parameters.AddWithValue("install", rows.Select(r => r.Install).ToArray());
        write.Parameters.AddWithValue("n", rows.Select(r => r.N).ToArray());
        await write.ExecuteNonQueryAsync();
    }
}
