using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Collector.Storage.Postgres;
using Candor.Protocol;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

/// <summary>
/// Tests that work on whole schemas of the test server: each test gets one (<see cref="ConnectionString"/>), may add
/// more (<see cref="Schemas"/>), and all are dropped after it; with the sample product's store, validation and
/// catalogue reads they share.
/// </summary>
public abstract class PostgresSchemaTests : IAsyncLifetime
{
    protected static readonly DateOnly Today = DateOnly.FromDateTime(Some.Now.UtcDateTime);

    private protected readonly CatalogProduct SampleProduct = Product(Some.Product);

    /// <summary>The test's schemas, its own first; each one added is dropped with it.</summary>
    protected List<string> Schemas { get; } = [];

    /// <summary>The connection string of the test's own schema.</summary>
    protected string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        string schema;
        (schema, ConnectionString) = await PostgresServer.CreateSchemaAsync();
        Schemas.Add(schema);
    }

    public async Task DisposeAsync()
    {
        foreach (var schema in Schemas)
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }

    /// <summary>A store on <paramref name="connectionString"/>, started, with the sample product and its manifest.</summary>
    private protected async Task<PostgresEventStore> OpenAsync(string connectionString, TimeProvider? time = null)
    {
        var store = new PostgresEventStore(new StorageOptions { Provider = StorageOptions.Postgres, ConnectionString = connectionString }, time: time ?? new FakeTimeProvider(Some.Now));
        await store.InitializeAsync(default);
        await store.SaveProductAsync(SampleProduct.Record, default);
        await store.AddManifestAsync(new ManifestRecord(Some.Product, 1, Some.ManifestJson, Some.Now), default);
        return store;
    }

    /// <summary>The names of <paramref name="table"/>'s indexes, in order.</summary>
    protected async Task<List<string>> IndexesAsync(string table, string? connectionString = null)
    {
        await using var connection = new NpgsqlConnection(connectionString ?? ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = to_regclass(@table) ORDER BY 1", connection);
        read.Parameters.AddWithValue("table", table);
        var names = new List<string>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    protected Task<T> ScalarAsync<T>(string sql, string? connectionString = null) => PostgresServer.ScalarAsync<T>(sql, connectionString ?? ConnectionString);

    private protected IncomingEvent Incoming(WireEvent wire, CatalogProduct? product = null) => ValidatedEvents.Incoming(wire, product ?? SampleProduct);

    private protected static CatalogProduct Product(string name) => ValidatedEvents.Product(name);

    protected static string ManifestOf(string product) => ValidatedEvents.ManifestOf(product);
}
