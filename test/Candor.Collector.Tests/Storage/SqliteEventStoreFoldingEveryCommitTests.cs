using Candor.Collector.Storage;
using Candor.Collector.Storage.Sqlite;

namespace Candor.Collector.Tests.Storage;

/// <summary>
/// The store contract with every commit folded at once (<see cref="StorageOptions.EventsPerFold"/> = 1), so that
/// events are de-duplicated against the events tree itself, where <see cref="SqliteEventStoreTests"/> (the default
/// fold) mostly has them staged.
/// </summary>
public class SqliteEventStoreFoldingEveryCommitTests : EventStoreContract
{
    private readonly string _folder = Directory.CreateTempSubdirectory("candor-store-fold-").FullName;

    private protected override async Task<IEventStore> CreateStoreAsync()
    {
        var store = new SqliteEventStore(new StorageOptions { DataPath = _folder, FlushEachCommit = false, EventsPerFold = 1 });
        await store.InitializeAsync(default);
        return store;
    }

    private protected override Task DeleteStoreAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}
