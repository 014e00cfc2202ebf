using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteEventStore
{
    // ---- events -------------------------------------------------------------------------------------------

    public Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<IncomingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<AppendOutcome>>([]);
        }

        return Enqueue<IReadOnlyList<AppendOutcome>>(events.Count, w => w.Append(events));
    }

    public async Task<byte[]?> GetInstallVerifierAsync(string product, Guid install, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT verifier FROM installs WHERE product = (SELECT id FROM products WHERE name = $product) AND uid = $uid";
        cmd.Parameters.AddWithValue("$product", product);
        cmd.Parameters.AddWithValue("$uid", install.ToByteArray());
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    // The parts held in memory go too (the newest days' and the kept ones read lately): they could no longer be
    // read (the days have new versions), but they would still hold the install.
    public async Task<long> DeleteInstallAsync(string product, Guid install, CancellationToken cancellationToken)
    {
        var deleted = await Enqueue(0, w => w.DeleteInstall(product, install));
        _recent.Clear();
        _held.Clear();
        Interlocked.Exchange(ref _heldBytes, 0);
        await TruncateLogAsync(cancellationToken);
        return deleted;
    }

    // The write-ahead log still holds the pages as they were before a deletion (the install's events among them)
    // until they are copied into the database and the log is cut to nothing. A checkpoint waits for readers and the
    // writer's current transaction; under steady ingestion it may not finish at once, so it is tried a few times. If it
    // never does, the log is cut when the store closes (SQLite checkpoints and removes it with its last connection).
    private async Task TruncateLogAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(cancellationToken);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout=2000; PRAGMA wal_checkpoint(TRUNCATE);";
            using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && reader.GetInt64(0) == 0)
            {
                return;
            }
        }
    }

    // In chunks, each its own transaction, so that deleting a month of events never holds up ingestion for long.
    public async Task<long> DeleteEventsBeforeAsync(string product, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        long total = 0;
        long deleted;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            deleted = await Enqueue(0, w => w.DeleteEventsBefore(product, cutoff, _deleteChunk));
            total += deleted;
        }
        while (deleted == _deleteChunk);

        if (total > 0)
        {
            await Enqueue(0, w => w.ForgetUnusedInstalls(product));
            await TruncateLogAsync(cancellationToken);
        }

        return total;
    }

    // An install whose last rollup row expired is forgotten with it: its ID would otherwise stay after every trace of it.
    public async Task<long> DeleteRollupsBeforeAsync(string product, DateOnly cutoff, CancellationToken cancellationToken)
    {
        var deleted = await Enqueue(0, w => w.DeleteRollupsBefore(product, SqliteSchema.DayNumber(cutoff)));
        if (deleted > 0)
        {
            await Enqueue(0, w => w.ForgetUnusedInstalls(product));
            await TruncateLogAsync(cancellationToken);
        }

        return deleted;
    }

    // Deletions here erase as they go (secure delete, then the write-ahead log cut to nothing): nothing is left to compact.
    public Task<bool> CompactErasedAsync(TimeSpan age, CancellationToken cancellationToken) => Task.FromResult(false);
}
