namespace Candor.Collector.Storage;

/// <summary>
/// Everything the collector keeps, in the three roles its features depend on: the catalogue (<see cref="ICatalogueStore"/>),
/// the raw events (<see cref="IEventLog"/>) and the queries over the daily rollups derived from them (<see cref="IRollupReader"/>).
/// <see cref="Sqlite.SqliteEventStore"/> and <see cref="Postgres.PostgresEventStore"/> implement it; <c>EventStoreContract</c> in the tests holds both to the
/// same behaviour. Implementations are thread-safe. No method ever receives or stores a client address.
/// </summary>
internal interface IEventStore : ICatalogueStore, IEventLog, IRollupReader, IAsyncDisposable
{
    /// <summary>Creates or upgrades the schema and starts the writer. Call once before anything else.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);
}
