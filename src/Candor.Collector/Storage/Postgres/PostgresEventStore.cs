using System.Collections.Concurrent;
using Candor.Manifest;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The store for scale-out: several collectors share one PostgreSQL database. Appends queue up and a few writer
/// loops each take whatever has queued (many requests' events) into one transaction, commit, and only then
/// complete the callers' tasks: an acknowledged event is committed. Everything else runs directly on pooled
/// connections. The database, not the process, keeps the writes consistent across collectors: event IDs are
/// de-duplicated by a unique key, rollups are upserted by adding counts, interned rows are created with
/// <c>ON CONFLICT DO NOTHING</c>, and retention takes an advisory lock per product so that only one collector
/// deletes a product's expired events at a time. Answers are the same as <see cref="Sqlite.SqliteEventStore"/>'s.
/// </summary>
internal sealed partial class PostgresEventStore : IEventStore
{
    private static readonly CatalogueSql Catalogue = new(PostgresDialect.Instance);
    private static readonly SqlDialect Dialect = PostgresDialect.Instance;
    private readonly StorageOptions _options;
    private readonly int _deleteChunk;
    private readonly NpgsqlDataSource _dataSource;
    // Where the query API's and the dashboard's reads go: a read replica when one is configured, else the database.
    private readonly NpgsqlDataSource _readSource;
    private readonly PostgresInterner _interner;
    private readonly PostgresPartitions _partitions;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private Task _partitionsAhead = Task.CompletedTask;
    private readonly PostgresEventWriter _writer;
    private readonly GroupCommitQueue<AppendWork> _queue;
    private readonly ManifestCache _manifests = new(PostgresDialect.Instance);
    private readonly ConcurrentDictionary<int, string> _strings = new();
    private Task[] _writerLoops = [];
    private readonly WriterPace[] _paces;

    /// <param name="options">The connection string and how many events one transaction takes.</param>
    /// <param name="deleteChunk">How many expired events one retention statement deletes.</param>
    /// <param name="writers">
    /// How many transactions with events this process runs at once. Two let one batch be written while the other
    /// waits for its commit; more mostly wait for each other's locks on the same rollup rows.
    /// </param>
    /// <param name="time">The clock that says which months' partitions to create ahead.</param>
    public PostgresEventStore(StorageOptions options, int deleteChunk = 10_000, int writers = 2, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _options = options;
        _deleteChunk = deleteChunk;
        _paces = [.. Enumerable.Range(0, writers).Select(_ => new WriterPace())];
        _dataSource = NpgsqlDataSource.Create(options.ConnectionString ?? throw new ArgumentException("Storage:ConnectionString is not set", nameof(options)));
        _readSource = options.ReadConnectionString is { } read ? NpgsqlDataSource.Create(read) : _dataSource;
        _interner = new PostgresInterner(_dataSource);
        _partitions = new PostgresPartitions(_dataSource);
        _writer = new PostgresEventWriter(_dataSource, _interner, _partitions, _recent);
        _queue = new GroupCommitQueue<AppendWork>(options.MaxEventsPerTransaction, WriteAsync, work => work.Complete(), singleReader: false);
    }

    public int Backlog => _queue.Backlog;

    public TimeSpan EstimatedWait => WriterPace.EstimateWait(_paces, Backlog);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await PostgresSchema.MigrateAsync(_dataSource, cancellationToken);
        await _partitions.EnsureAsync(PostgresPartitions.Ahead(_time.GetUtcNow()), cancellationToken);
        _partitionsAhead = Task.Run(() => CreatePartitionsAheadAsync(_stopping.Token), CancellationToken.None);
        _writerLoops = [.. _paces.Select(pace => Task.Run(() => RunWriterAsync(pace), CancellationToken.None))];
        if (_options.WarmNewestDays)
        {
            _warming = Task.Run(() => WarmNewestDaysAsync(_stopping.Token), CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Complete();
        await Task.WhenAll(_writerLoops);
        await _stopping.CancelAsync();
        await _partitionsAhead;
        await _warming;
        if (_readSource != _dataSource)
        {
            await _readSource.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
    }

    // ---- catalogue ----------------------------------------------------------------------------------------

    // A known product is updated first: the insert's ON CONFLICT draws an ID from the sequence even when it finds
    // the row, and product IDs stop at 32767 (the events keep them as smallint, PostgresInstallNumbersMigration).
    public async Task<ProductRecord> SaveProductAsync(ProductRecord product, CancellationToken cancellationToken)
    {
        await using var update = _dataSource.CreateCommand("UPDATE products SET retention_months = @retention, k = @k WHERE name = @name RETURNING created");
        update.Parameters.AddWithValue("name", product.Name);
        update.Parameters.AddWithValue("retention", product.RetentionMonths);
        update.Parameters.AddWithValue("k", product.KThreshold);
        if (await update.ExecuteScalarAsync(cancellationToken) is { } created)
        {
            return Catalogue.Saved(product, created);
        }

        await using var cmd = _dataSource.CreateCommand(Catalogue.SaveProduct);
        Catalogue.BindProduct(cmd, product);
        try
        {
            return Catalogue.Saved(product, (await cmd.ExecuteScalarAsync(cancellationToken))!);
        }
        catch (PostgresException ex) when (ex.SqlState == "2200H")
        {
            throw new InvalidOperationException(
                $"product '{product.Name}' cannot be registered: this database has given out all {PostgresInstallNumbersMigration.MaxSmall} product IDs", ex);
        }
    }

    // Collectors that ask at once both insert and the first insert wins; the loser's statement may not yet see the
    // winner's row in its snapshot, and asks again.
    public async Task<byte[]> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var cmd = _dataSource.CreateCommand("""
                WITH made AS (INSERT INTO collector_secrets(name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING RETURNING value)
                SELECT value FROM made UNION ALL SELECT value FROM collector_secrets WHERE name = @name LIMIT 1
                """);
            cmd.Parameters.AddWithValue("name", name);
            cmd.Parameters.AddWithValue("value", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            if (await cmd.ExecuteScalarAsync(cancellationToken) is byte[] secret)
            {
                return secret;
            }
        }
    }

    public async Task<IReadOnlyList<ProductRecord>> GetProductsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await Catalogue.ReadProductsAsync(connection, cancellationToken);
    }

    public async Task<bool> AddManifestAsync(ManifestRecord manifest, CancellationToken cancellationToken)
    {
        var product = await _interner.ProductAsync(manifest.Product, cancellationToken);
        await using var cmd = _dataSource.CreateCommand(Catalogue.AddManifest);
        Catalogue.BindManifest(cmd, product, manifest);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<ManifestRecord>> GetManifestsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await Catalogue.ReadManifestsAsync(connection, cancellationToken);
    }

    public async Task<long> AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(Catalogue.AddCredential);
        Catalogue.BindCredential(cmd, credential);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<CredentialRecord>> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await Catalogue.ReadCredentialsAsync(connection, cancellationToken);
    }

    public async Task<DateTimeOffset?> FindRevocationAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await Catalogue.ReadRevocationAsync(connection, hash, cancellationToken);
    }

    public async Task<bool> RevokeCredentialAsync(long id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(Catalogue.Revoke);
        Catalogue.BindRevocation(cmd, id, at);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(Catalogue.AppendAudit);
        Catalogue.BindAudit(cmd, entry);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await Catalogue.ReadAuditAsync(connection, limit, cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        var result = await cmd.ExecuteScalarAsync(cancellationToken);
        return result is null or DBNull ? default! : (T)result;
    }

    private static DateTime Start(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    // The months ahead get their partitions well before their first event, so that no batch waits for the DDL (and
    // its lock on the tables) at a month's turn; a batch that needs a month still makes it (PostgresEventWriter).
    private async Task CreatePartitionsAheadAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(6), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await _partitions.EnsureAsync(PostgresPartitions.Ahead(_time.GetUtcNow()), cancellationToken);
                }
                catch (NpgsqlException)
                {
                    // The database is away; the next tick, or the next batch that needs a month, tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ---- the writer loops ---------------------------------------------------------------------------------

    private async Task RunWriterAsync(WriterPace pace)
    {
        var batch = new List<AppendWork>();
        while (await _queue.WaitAsync())
        {
            await _queue.WriteWaitingAsync(pace, batch);
        }
    }

    // One transaction for the whole batch; each request's outcomes are its slice of the batch's.
    private async Task WriteAsync(List<AppendWork> batch)
    {
        var outcomes = await _writer.WriteAsync(batch.Count == 1 ? batch[0].Incoming : [.. batch.SelectMany(w => w.Incoming)], CancellationToken.None);
        var offset = 0;
        foreach (var work in batch)
        {
            work.Outcomes = outcomes[offset..(offset + work.Events)];
            offset += work.Events;
        }
    }

    private sealed class AppendWork(IReadOnlyList<IncomingEvent> events) : QueuedWork(events.Count)
    {
        private readonly TaskCompletionSource<IReadOnlyList<AppendOutcome>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<IncomingEvent> Incoming { get; } = events;

        public AppendOutcome[] Outcomes { get; set; } = [];

        public Task<IReadOnlyList<AppendOutcome>> Task => _completion.Task;

        public override void Complete() => _completion.TrySetResult(Outcomes);

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
    }
}
