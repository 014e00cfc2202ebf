using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Candor.Manifest;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Every write goes through one writer that takes whatever
/// has queued up (many requests' events, catalogue changes, deletions), runs it in one transaction, commits,
/// and only then completes the callers' tasks: an acknowledged event is on disk. Events are staged by those
/// commits and folded into the events and rollups thousands at a time (see Writer). Reads use their own pooled
/// connections; reads of events and rollups first have the writer fold what is staged. Rows are kept small: names, versions and contexts are interned,
/// IDs are 16-byte blobs and properties are packed by <see cref="PropertyCodec"/>.
/// </summary>
internal sealed partial class SqliteEventStore : IEventStore
{
    private readonly StorageOptions _options;
    private readonly int _deleteChunk;
    private readonly string _connectionString;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private const int MaxRecentDays = 256;
    private const long MaxHeldBytes = 64L << 20;

    private readonly ConcurrentDictionary<(string, int), EventDefinitionLookup> _manifests = new();
    private readonly ConcurrentDictionary<RecentKey, RecentDay> _recent = new();
    private readonly ConcurrentDictionary<HeldKey, HeldPart> _held = new();
    private long _heldBytes;
    private Writer? _writer;
    private readonly Channel<Work> _committed = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Action<FileStream> _flushWal;
    private Task? _writerLoop;
    private Task? _flusherLoop;
    private FileStream? _wal;
    private int _backlog;
    private long _commits;
    private readonly WriterPace _pace = new();

    /// <param name="options">Where the file is and how commits are made.</param>
    /// <param name="deleteChunk">How many expired events one retention transaction deletes.</param>
    /// <param name="flushWal">
    /// Forces the write-ahead log to the disk (<c>fsync</c>) when <see cref="StorageOptions.FlushEachCommit"/> is
    /// set; tests pass one that fails. May throw: every caller whose commit it was to cover then gets the exception.
    /// </param>
    public SqliteEventStore(StorageOptions options, int deleteChunk = 10_000, Action<FileStream>? flushWal = null)
    {
        _options = options;
        _deleteChunk = deleteChunk;
        _flushWal = flushWal ?? (wal => wal.Flush(flushToDisk: true));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public int Backlog => Volatile.Read(ref _backlog);

    public TimeSpan EstimatedWait => WriterPace.EstimateWait([_pace], Backlog);

    /// <summary>How many write transactions the writer has committed (requests that arrive together share one).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.FullDataPath);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, "PRAGMA cache_size=-65536;");
        Execute(connection, "PRAGMA wal_autocheckpoint=16384;");
        // NORMAL: a commit writes its pages to the write-ahead log and returns without waiting for the disk, which
        // already survives a crash of the process. With FlushEachCommit the flusher then forces the log to the
        // disk before anyone is told (see RunFlusher); SQLite's own FULL would make the writer wait for that.
        Execute(connection, "PRAGMA synchronous=NORMAL;");
        // Deleted rows and freed pages are overwritten with zeros, so an erased install's ID and events cannot be read
        // back from the file's free space. On always, not only for deletions: a fold frees the staged copies of every
        // event, and those pages would otherwise keep the IDs of events deleted later.
        Execute(connection, "PRAGMA secure_delete=ON;");
        SqliteSchema.CheckLayout(connection, _options.DatabasePath);
        Execute(connection, "BEGIN IMMEDIATE;" + SqliteSchema.Create);
        SqliteSchema.Upgrade(connection);
        Execute(connection, "COMMIT;");
        if (_options.FlushEachCommit)
        {
            // The log is the same file for the life of the store: SQLite removes it only when its last connection
            // closes, and the writer's stays open until DisposeAsync. Any descriptor of a file flushes all of it.
            _wal = new FileStream(_options.DatabasePath + "-wal", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            new Thread(() => RunFlusher(_wal, flushed)) { IsBackground = true, Name = "Candor flusher" }.Start();
            _flusherLoop = flushed.Task;
        }

        connection.CreateFunction<object, object, object>(
            SqliteSchema.MergeFunction, (stored, adding) => (object?)RollupSummary.Merge(stored as byte[], adding as byte[]) ?? DBNull.Value, isDeterministic: true);
        _writer = new Writer(connection, _options.EventsPerFold);
        // What a stopped process staged is folded before anything else reads or writes.
        _writer.Run([new Work<long>(0, w => w.Fold(whatTheFileHolds: true))]);
        // A thread of its own: the writer is the one serial part of ingestion, so it should neither wait for a
        // thread-pool thread after every wait nor share one with request handlers. The name shows it in `top -H`.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() => RunWriter(done)) { IsBackground = true, Name = "Candor writer" }.Start();
        _writerLoop = done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is { Staged: > 0 } && _writerLoop is { IsCompleted: false })
        {
            try
            {
                await Enqueue(0, w => w.Fold());
            }
            catch (Exception)
            {
                // The staged events are committed: the next start folds them.
            }
        }

        _queue.Writer.TryComplete();
        if (_writerLoop is not null)
        {
            await _writerLoop;
        }

        _committed.Writer.TryComplete();
        if (_flusherLoop is not null)
        {
            await _flusherLoop;
        }

        if (_wal is not null)
        {
            await _wal.DisposeAsync();
        }

        if (_writer is not null)
        {
            _writer.Dispose();
            SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        }
    }

    // ---- catalogue ----------------------------------------------------------------------------------------

    public Task<ProductRecord> SaveProductAsync(ProductRecord product, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("""
                INSERT INTO products(name, retention_months, k, created) VALUES ($name, $retention, $k, $created)
                ON CONFLICT(name) DO UPDATE SET retention_months = excluded.retention_months, k = excluded.k
                RETURNING created
                """);
            cmd.Parameters["$name"].Value = product.Name;
            cmd.Parameters["$retention"].Value = product.RetentionMonths;
            cmd.Parameters["$k"].Value = product.KThreshold;
            cmd.Parameters["$created"].Value = product.Created.ToUnixTimeMilliseconds();
            var created = (long)cmd.ExecuteScalar()!;
            return product with { Created = DateTimeOffset.FromUnixTimeMilliseconds(created) };
        });

    public Task<byte[]> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var insert = w.Command("INSERT INTO collector_secrets(name, value) VALUES ($name, $value) ON CONFLICT DO NOTHING");
            insert.Parameters["$name"].Value = name;
            insert.Parameters["$value"].Value = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            insert.ExecuteNonQuery();
            var read = w.Command("SELECT value FROM collector_secrets WHERE name = $name");
            read.Parameters["$name"].Value = name;
            return (byte[])read.ExecuteScalar()!;
        });

    public async Task<IReadOnlyList<ProductRecord>> GetProductsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, retention_months, k, created FROM products ORDER BY name";
        var products = new List<ProductRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            products.Add(new ProductRecord(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return products;
    }

    public Task<bool> AddManifestAsync(ManifestRecord manifest, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("""
                INSERT INTO manifests(product, revision, json, registered) VALUES ($product, $revision, $json, $registered)
                ON CONFLICT DO NOTHING
                """);
            cmd.Parameters["$product"].Value = w.ProductId(manifest.Product);
            cmd.Parameters["$revision"].Value = manifest.Revision;
            cmd.Parameters["$json"].Value = manifest.Json;
            cmd.Parameters["$registered"].Value = manifest.Registered.ToUnixTimeMilliseconds();
            return cmd.ExecuteNonQuery() == 1;
        });

    public async Task<IReadOnlyList<ManifestRecord>> GetManifestsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT p.name, m.revision, m.json, m.registered FROM manifests m JOIN products p ON p.id = m.product
            ORDER BY p.name, m.revision
            """;
        var manifests = new List<ManifestRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            manifests.Add(new ManifestRecord(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return manifests;
    }

    public Task<long> AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("""
                INSERT INTO credentials(hash, role, product, name, created) VALUES ($hash, $role, $product, $name, $created)
                RETURNING id
                """);
            cmd.Parameters["$hash"].Value = credential.Hash;
            cmd.Parameters["$role"].Value = (int)credential.Role;
            cmd.Parameters["$product"].Value = (object?)credential.Product ?? DBNull.Value;
            cmd.Parameters["$name"].Value = credential.Name;
            cmd.Parameters["$created"].Value = credential.Created.ToUnixTimeMilliseconds();
            return (long)cmd.ExecuteScalar()!;
        });

    public async Task<IReadOnlyList<CredentialRecord>> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, hash, role, product, name, created FROM credentials WHERE revoked IS NULL ORDER BY id";
        var credentials = new List<CredentialRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            credentials.Add(new CredentialRecord(
                reader.GetInt64(0),
                (byte[])reader.GetValue(1),
                (CredentialRole)reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }

        return credentials;
    }

    public async Task<DateTimeOffset?> FindRevocationAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT revoked FROM credentials WHERE hash = $hash AND revoked IS NOT NULL";
        cmd.Parameters.AddWithValue("$hash", hash);
        return await cmd.ExecuteScalarAsync(cancellationToken) is long revoked ? DateTimeOffset.FromUnixTimeMilliseconds(revoked) : null;
    }

    public Task<bool> RevokeCredentialAsync(long id, DateTimeOffset at, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("UPDATE credentials SET revoked = $at WHERE id = $id AND revoked IS NULL");
            cmd.Parameters["$at"].Value = at.ToUnixTimeMilliseconds();
            cmd.Parameters["$id"].Value = id;
            return cmd.ExecuteNonQuery() == 1;
        });

    public Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        Enqueue(0, w =>
        {
            var cmd = w.Command("INSERT INTO audit(time, actor, action, target, detail) VALUES ($time, $actor, $action, $target, $detail)");
            cmd.Parameters["$time"].Value = entry.Time.ToUnixTimeMilliseconds();
            cmd.Parameters["$actor"].Value = entry.Actor;
            cmd.Parameters["$action"].Value = entry.Action;
            cmd.Parameters["$target"].Value = entry.Target;
            cmd.Parameters["$detail"].Value = entry.Detail;
            return cmd.ExecuteNonQuery();
        });

    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT time, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", limit);
        var entries = new List<AuditEntry>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        return entries;
    }

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

    public async Task<long> CountRawEventsAsync(string product, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM events WHERE product = (SELECT id FROM products WHERE name = $product)";
        cmd.Parameters.AddWithValue("$product", product);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<RawEvent>> ReadRawAsync(EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT e.id, n.value, e.revision, e.time, i.uid, NULL, e.data,
                   sv.value, so.value, sov.value, sa.value, sr.value, sci.value, sh.value, c.flags, sc.value
            FROM events e
            JOIN strings n ON n.id = e.name
            JOIN installs i ON i.id = e.install
            JOIN contexts c ON c.id = e.context
            LEFT JOIN strings sv ON sv.id = c.version
            LEFT JOIN strings so ON so.id = c.os
            LEFT JOIN strings sov ON sov.id = c.os_version
            LEFT JOIN strings sa ON sa.id = c.arch
            LEFT JOIN strings sr ON sr.id = c.runtime
            LEFT JOIN strings sci ON sci.id = c.ci
            LEFT JOIN strings sh ON sh.id = c.host
            LEFT JOIN strings sc ON sc.id = c.country
            WHERE e.product = (SELECT id FROM products WHERE name = $product)
              AND e.time >= $fromMs AND e.time < $toMs
              {(filter.Event is null ? "" : "AND e.name = (SELECT id FROM strings WHERE value = $event)")}
              AND {ContextCondition(filter, "e.context")}
            ORDER BY e.time, e.id
            LIMIT $limit
            """;
        AddFilterParameters(cmd, filter);
        cmd.Parameters.AddWithValue("$fromMs", SqliteSchema.DayNumber(filter.From) * SqliteSchema.MillisecondsPerDay);
        cmd.Parameters.AddWithValue("$toMs", (SqliteSchema.DayNumber(filter.To) + 1) * SqliteSchema.MillisecondsPerDay);
        cmd.Parameters.AddWithValue("$limit", limit);

        var rows = new List<RawEvent>();
        var strings = new Dictionary<long, string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(1);
            var revision = reader.GetInt32(2);
            var flags = reader.GetInt32(14);
            var context = new EventContext(
                Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10), Text(reader, 11), Text(reader, 12), Text(reader, 13),
                (flags & SqliteSchema.ContainerFlag) != 0, (flags & SqliteSchema.WslFlag) != 0, (flags & SqliteSchema.InteractiveFlag) != 0,
                Text(reader, 15));
            var properties = new Dictionary<string, object>();
            var measurements = new Dictionary<string, double>();
            if (!reader.IsDBNull(6))
            {
                var definition = await FindDefinitionAsync(connection, filter.Product, revision, name, cancellationToken);
                (properties, measurements) = PropertyCodec.Decode((byte[])reader.GetValue(6), definition, id => LookupString(connection, strings, id));
            }

            rows.Add(new RawEvent(
                new Guid((byte[])reader.GetValue(0)),
                name,
                revision,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                new Guid((byte[])reader.GetValue(4)),
                context,
                properties,
                measurements));
        }

        return rows;

        static string Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? "" : reader.GetString(ordinal);
    }

    private static string ContextCondition(EventFilter filter, string column) =>
        ContextConditions(filter) is { } conditions ? $"{column} IN (SELECT id FROM contexts WHERE {conditions})" : "1 = 1";

    // The conditions on the contexts table that the filter's version, OS and CI make; null when it has none.
    private static string? ContextConditions(EventFilter filter)
    {
        if (filter.Version is null && filter.Os is null && filter.Ci is null)
        {
            return null;
        }

        var conditions = new List<string>();
        if (filter.Version is not null)
        {
            conditions.Add("version = (SELECT id FROM strings WHERE value = $version)");
        }

        if (filter.Os is not null)
        {
            conditions.Add("os = (SELECT id FROM strings WHERE value = $os)");
        }

        if (filter.Ci is not null)
        {
            conditions.Add(filter.Ci.Value ? "ci <> 0" : "ci = 0");
        }

        return string.Join(" AND ", conditions);
    }

    private static void AddFilterParameters(SqliteCommand cmd, EventFilter filter)
    {
        cmd.Parameters.AddWithValue("$product", filter.Product);
        cmd.Parameters.AddWithValue("$fromDay", SqliteSchema.DayNumber(filter.From));
        cmd.Parameters.AddWithValue("$toDay", SqliteSchema.DayNumber(filter.To));
        if (filter.Event is not null)
        {
            cmd.Parameters.AddWithValue("$event", filter.Event);
        }

        if (filter.Version is not null)
        {
            cmd.Parameters.AddWithValue("$version", filter.Version);
        }

        if (filter.Os is not null)
        {
            cmd.Parameters.AddWithValue("$os", filter.Os);
        }
    }

    private async Task<EventDefinition> FindDefinitionAsync(SqliteConnection connection, string product, int revision, string name, CancellationToken cancellationToken)
    {
        if (!_manifests.TryGetValue((product, revision), out var lookup))
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT json FROM manifests WHERE product = (SELECT id FROM products WHERE name = $product) AND revision = $revision";
            cmd.Parameters.AddWithValue("$product", product);
            cmd.Parameters.AddWithValue("$revision", revision);
            var json = (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
            lookup = new EventDefinitionLookup(TelemetryManifest.ParseRegistered(json));
            _manifests[(product, revision)] = lookup;
        }

        return lookup.Manifest.Find(name) ?? throw new InvalidOperationException($"stored event '{name}' is not in revision {revision} of '{product}'");
    }

    private static string LookupString(SqliteConnection connection, Dictionary<long, string> cache, long id)
    {
        if (!cache.TryGetValue(id, out var value))
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT value FROM strings WHERE id = $id";
            cmd.Parameters.AddWithValue("$id", id);
            value = (string)cmd.ExecuteScalar()!;
            cache[id] = value;
        }

        return value;
    }

    // Reads of events and rollups first fold the staged events into them (see Writer.Fold), so that they see
    // every acknowledged event; the catalogue reads (products, keys, audit) need not wait for that.
    private async Task<SqliteConnection> OpenFoldedReadAsync(CancellationToken cancellationToken)
    {
        if (_writer is { Staged: > 0 })
        {
            await Enqueue(0, w => w.Fold()).WaitAsync(cancellationToken);
        }

        return await OpenReadAsync(cancellationToken);
    }

    private async Task<SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // ---- the writer ---------------------------------------------------------------------------------------

    private Task<T> Enqueue<T>(int events, Func<Writer, T> action)
    {
        var work = new Work<T>(events, action);
        Interlocked.Add(ref _backlog, events);
        if (!_queue.Writer.TryWrite(work))
        {
            Interlocked.Add(ref _backlog, -events);
            return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteEventStore)));
        }

        return work.Task;
    }

    private void RunWriter(TaskCompletionSource done)
    {
        try
        {
            var batch = new List<Work>();
            while (WaitForWork())
            {
                batch.Clear();
                var events = 0;
                while (events < _options.MaxEventsPerTransaction && _queue.Reader.TryRead(out var work))
                {
                    batch.Add(work);
                    events += work.Events;
                }

                _pace.Started(events);
                Commit(batch);
                Interlocked.Add(ref _backlog, -events);
                _pace.Finished(moreWaiting: _queue.Reader.TryPeek(out _));
            }

            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
    }

    // Blocks the calling thread until the channel has something; false once it is completed and drained.
    private bool WaitForWork() => WaitToRead(_queue.Reader);

    private static bool WaitToRead(ChannelReader<Work> reader)
    {
        var waiting = reader.WaitToReadAsync();
        return waiting.IsCompleted ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult();
    }

    // Group flush: one fsync of the log covers every commit the writer finished before it started, however many
    // requests those were, and the writer goes on with the next transaction meanwhile instead of waiting for the
    // disk. Only after the fsync are the callers told; if it fails, every one of them gets the exception (the
    // ingestion endpoint answers 503 with Retry-After, and the retry finds its events stored: duplicates).
    private void RunFlusher(FileStream wal, TaskCompletionSource done)
    {
        try
        {
            var group = new List<Work>();
            while (WaitToRead(_committed.Reader))
            {
                group.Clear();
                while (_committed.Reader.TryRead(out var work))
                {
                    group.Add(work);
                }

                Exception? failure = null;
                try
                {
                    _flushWal(wal);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                foreach (var work in group)
                {
                    if (failure is null)
                    {
                        work.Complete();
                    }
                    else
                    {
                        work.Fail(failure);
                    }
                }
            }

            done.SetResult();
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
    }

    // The work is committed; it is done once it is also on the disk, when that is asked for.
    private void Committed(Work work)
    {
        if (_flusherLoop is null)
        {
            work.Complete();
        }
        else if (!_committed.Writer.TryWrite(work))
        {
            // Not reached: the flusher's queue closes only after the writer has stopped.
            work.Fail(new ObjectDisposedException(nameof(SqliteEventStore)));
        }
    }

    private void Commit(List<Work> batch)
    {
        var writer = _writer!;
        try
        {
            writer.Run(batch);
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One bad piece of work must not fail the others that happened to share its transaction.
            foreach (var work in batch)
            {
                Commit([work]);
            }

            return;
        }
        catch (Exception ex)
        {
            foreach (var work in batch)
            {
                work.Fail(ex);
            }

            return;
        }

        Interlocked.Increment(ref _commits);
        foreach (var work in batch)
        {
            Committed(work);
        }
    }

    private abstract class Work(int events)
    {
        public int Events { get; } = events;

        public abstract void Execute(Writer writer);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class Work<T>(int events, Func<Writer, T> action) : Work(events)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _completion.Task;

        public override void Execute(Writer writer) => _result = action(writer);

        public override void Complete() => _completion.TrySetResult(_result!);

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
    }

    private sealed record EventDefinitionLookup(TelemetryManifest Manifest);

    // Owns the one write connection. Its caches map strings, contexts, installs and products to row IDs; they
    // are only touched from the writer loop and are dropped whenever a transaction rolls back.
    //
    // Events are staged: a commit appends them to staged_events (in arrival order, so a few pages per commit) and
    // what they add to the rollups to staged_rollups (one blob per commit), which is all it takes to make them
    // durable. Every eventsPerFold events they are folded into the events and rollups trees in one transaction,
    // sorted by key. Inserting a few hundred events at random times of the day into the events tree and upserting
    // their rollup rows dirtied about one page per event, and every dirty page is written to the log at every
    // commit; a fold of thousands shares those pages. Queries and deletions fold first; a start folds what a
    // stopped process left.
    private sealed class Writer(SqliteConnection connection, int eventsPerFold) : IDisposable
    {
        private const int MaxCacheEntries = 200_000;

        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _strings = new(StringComparer.Ordinal);
        private readonly Dictionary<EventContext, long> _contexts = [];
        // Each install's row ID, and whether its row holds a deletion verifier (one without gets the next one sent).
        private readonly Dictionary<(long, Guid), (long Id, bool Verified)> _installs = [];
        private readonly Dictionary<string, long> _products = new(StringComparer.Ordinal);
        private readonly Dictionary<RollupKey, RollupSummary> _rollup = [];

        // The keys of the staged events, for de-duplication: an event is new if it is neither here nor in events.
        private readonly HashSet<(long Product, long Time, Guid Id)> _staged = [];
        private SqliteTransaction? _transaction;
        private SqliteStatement? _exists;
        private SqliteStatement? _stage;
        private SqliteStatement? _stageRollups;
        private SqliteStatement? _upsert;
        private SqliteStatement? _touch;
        private SqliteStatement? _installDay;
        private long? _version;
        private long _stagedCount;

        /// <summary>How many committed events are staged, not folded yet; read from any thread.</summary>
        public long Staged => Volatile.Read(ref _stagedCount);

        public void Run(List<Work> batch)
        {
            _transaction = connection.BeginTransaction();
            try
            {
                foreach (var work in batch)
                {
                    work.Execute(this);
                }

                StageRollups();
                if (_staged.Count >= eventsPerFold)
                {
                    Fold();
                }

                _transaction.Commit();
                // Before the callers are told: a read that comes after an acknowledgement must see it staged.
                Volatile.Write(ref _stagedCount, _staged.Count);
            }
            catch
            {
                _transaction.Rollback();
                _transaction.Dispose();
                _transaction = null;
                ForgetCaches();
                ReloadStaged();
                throw;
            }
            finally
            {
                _transaction?.Dispose();
                _transaction = null;
                _rollup.Clear();
            }
        }

        public SqliteCommand Command(string sql)
        {
            if (!_commands.TryGetValue(sql, out var cmd))
            {
                cmd = connection.CreateCommand();
                cmd.CommandText = sql;
                foreach (var name in ParameterNames(sql))
                {
                    cmd.Parameters.Add(new SqliteParameter(name, null));
                }

                _commands[sql] = cmd;
            }

            cmd.Transaction = _transaction;
            return cmd;
        }

        public long ProductId(string product)
        {
            if (!_products.TryGetValue(product, out var id))
            {
                var cmd = Command("SELECT id FROM products WHERE name = $name");
                cmd.Parameters["$name"].Value = product;
                id = cmd.ExecuteScalar() as long? ?? throw new InvalidOperationException($"product '{product}' is not registered");
                _products[product] = id;
            }

            return id;
        }

        public AppendOutcome[] Append(IReadOnlyList<IncomingEvent> events)
        {
            var outcomes = new AppendOutcome[events.Count];
            var exists = _exists ??= new SqliteStatement(connection, "SELECT 1 FROM events WHERE product = ?1 AND time = ?2 AND id = ?3");
            var stage = _stage ??= new SqliteStatement(connection, """
                INSERT INTO staged_events(product, time, id, name, revision, install, context, data)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """);
            Span<byte> id = stackalloc byte[16];
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                var product = ProductId(e.Product);
                var time = e.Time.ToUnixTimeMilliseconds();
                e.Id.TryWriteBytes(id);
                // The ID is de-duplicated together with the time, which a retry carries unchanged (the events key).
                exists.Bind(1, product);
                exists.Bind(2, time);
                exists.Bind(3, id);
                if (exists.HasRow() || !_staged.Add((product, time, e.Id)))
                {
                    outcomes[i] = AppendOutcome.Duplicate;
                    continue;
                }

                var name = Intern(e.Definition.Name);
                var install = InstallId(product, e.Install, e.Verifier);
                var context = ContextId(e.Context);
                stage.Bind(1, product);
                stage.Bind(2, time);
                stage.Bind(3, id);
                stage.Bind(4, name);
                stage.Bind(5, e.Revision);
                stage.Bind(6, install);
                stage.Bind(7, context);
                if (PropertyCodec.Encode(e, Intern) is { } data)
                {
                    stage.Bind(8, data);
                }
                else
                {
                    stage.BindNull(8);
                }

                stage.Execute();
                outcomes[i] = AppendOutcome.Stored;
                var day = Math.DivRem(time, SqliteSchema.MillisecondsPerDay).Quotient;
                var key = new RollupKey(product, name, day, context, install);
                if (!_rollup.TryGetValue(key, out var summary))
                {
                    summary = new RollupSummary();
                    _rollup[key] = summary;
                }

                summary.Events++;
                var anyKey = key with { Name = SqliteSchema.AnyEvent };
                if (!_rollup.TryGetValue(anyKey, out var any))
                {
                    any = new RollupSummary();
                    _rollup[anyKey] = any;
                }

                any.Events++;
                foreach (var property in e.Properties)
                {
                    var field = Intern(property.Field.Name);
                    foreach (var value in property.Values)
                    {
                        summary.AddValue(field, Intern(value));
                    }
                }

                foreach (var measurement in e.Measurements)
                {
                    if (measurement.Field.Kind is FieldKind.Duration)
                    {
                        summary.AddBucket(Intern(measurement.Field.Name), DurationHistogram.BucketOf(measurement.Value));
                    }
                }
            }

            return outcomes;
        }

        // Events carry no index by install (it would cost ~11 bytes per event); install_days says which days the
        // install has rollup rows (so events) on, so each day is one range of the time index. Days older than every
        // rollup row of the product (rollups are kept by day, for the whole product) are covered by one more range.
        public long DeleteInstall(string product, Guid install)
        {
            Fold();
            var find = Command("SELECT id, product FROM installs WHERE product = (SELECT id FROM products WHERE name = $product) AND uid = $uid");
            find.Parameters["$product"].Value = product;
            find.Parameters["$uid"].Value = install.ToByteArray();
            long id, productId;
            using (var reader = find.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return 0;
                }

                (id, productId) = (reader.GetInt64(0), reader.GetInt64(1));
            }

            var days = new List<long>();
            var dayQuery = Command("SELECT day FROM install_days WHERE install = $id");
            dayQuery.Parameters["$id"].Value = id;
            using (var reader = dayQuery.ExecuteReader())
            {
                while (reader.Read())
                {
                    days.Add(reader.GetInt64(0));
                }
            }

            var oldest = Command($"SELECT MIN(day) FROM rollups WHERE product = $product AND name = {SqliteSchema.AnyEvent}");
            oldest.Parameters["$product"].Value = productId;
            var before = oldest.ExecuteScalar() is long day ? day * SqliteSchema.MillisecondsPerDay : long.MaxValue;

            var delete = Command("DELETE FROM events WHERE product = $product AND time >= $from AND time < $to AND install = $id");
            delete.Parameters["$product"].Value = productId;
            delete.Parameters["$id"].Value = id;
            long deleted = 0;
            foreach (var (from, to) in days.Select(d => (d * SqliteSchema.MillisecondsPerDay, (d + 1) * SqliteSchema.MillisecondsPerDay)).Append((long.MinValue, before)))
            {
                delete.Parameters["$from"].Value = from;
                delete.Parameters["$to"].Value = to;
                deleted += delete.ExecuteNonQuery();
            }

            // The install is in the day rollups of its days too: those days get a new version and their day
            // rollups go, to be built again without it.
            var forget = Command("DELETE FROM day_rollups WHERE product = $product AND day IN (SELECT value FROM json_each($days))");
            forget.Parameters["$product"].Value = productId;
            forget.Parameters["$days"].Value = "[" + string.Join(',', days.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
            forget.ExecuteNonQuery();
            var touch = Command("UPDATE day_versions SET version = $version WHERE product = $product AND day IN (SELECT value FROM json_each($days))");
            touch.Parameters["$version"].Value = NextVersion();
            touch.Parameters["$product"].Value = productId;
            touch.Parameters["$days"].Value = forget.Parameters["$days"].Value;
            touch.ExecuteNonQuery();
            // Rollups have no index by install (see install_days): the install's rows of a day are found in the
            // range of each event name and that day.
            var next = Command("SELECT MIN(name) FROM rollups WHERE product = $product AND name > $after");
            next.Parameters["$product"].Value = productId;
            next.Parameters["$after"].Value = SqliteSchema.AnyEvent - 1;
            var names = new List<long>();
            while (next.ExecuteScalar() is long name)
            {
                names.Add(name);
                next.Parameters["$after"].Value = name;
            }

            var rows = Command("DELETE FROM rollups WHERE product = $product AND name = $name AND day = $day AND install = $id");
            rows.Parameters["$product"].Value = productId;
            rows.Parameters["$id"].Value = id;
            foreach (var name in names)
            {
                rows.Parameters["$name"].Value = name;
                foreach (var d in days)
                {
                    rows.Parameters["$day"].Value = d;
                    rows.ExecuteNonQuery();
                }
            }

            ExecuteWithId("DELETE FROM install_days WHERE install = $id", id);
            ExecuteWithId("DELETE FROM installs WHERE id = $id", id);
            _installs.Clear();
            return deleted;
        }

        public long DeleteEventsBefore(string product, DateTimeOffset cutoff, int limit)
        {
            Fold();
            var delete = Command("""
                DELETE FROM events WHERE (product, time, id) IN (
                  SELECT product, time, id FROM events WHERE product = (SELECT id FROM products WHERE name = $product) AND time < $cutoff LIMIT $limit)
                """);
            delete.Parameters["$product"].Value = product;
            delete.Parameters["$cutoff"].Value = cutoff.ToUnixTimeMilliseconds();
            delete.Parameters["$limit"].Value = limit;
            return delete.ExecuteNonQuery();
        }

        public long DeleteRollupsBefore(string product, long day)
        {
            Fold();
            // Name by name, so that each delete is a range of the rollups' B-tree rather than a pass over all of it.
            var next = Command("SELECT MIN(name) FROM rollups WHERE product = (SELECT id FROM products WHERE name = $product) AND name > $after");
            var delete = Command("DELETE FROM rollups WHERE product = (SELECT id FROM products WHERE name = $product) AND name = $name AND day < $day");
            next.Parameters["$product"].Value = product;
            next.Parameters["$after"].Value = SqliteSchema.AnyEvent - 1;
            delete.Parameters["$product"].Value = product;
            delete.Parameters["$day"].Value = day;
            long deleted = 0;
            while (next.ExecuteScalar() is long name)
            {
                delete.Parameters["$name"].Value = name;
                deleted += delete.ExecuteNonQuery();
                next.Parameters["$after"].Value = name;
            }

            var forget = Command("DELETE FROM day_rollups WHERE product = (SELECT id FROM products WHERE name = $product) AND day < $day");
            forget.Parameters["$product"].Value = product;
            forget.Parameters["$day"].Value = day;
            forget.ExecuteNonQuery();
            var installDays = Command("""
                DELETE FROM install_days WHERE day < $day
                  AND install IN (SELECT id FROM installs WHERE product = (SELECT id FROM products WHERE name = $product))
                """);
            installDays.Parameters["$product"].Value = product;
            installDays.Parameters["$day"].Value = day;
            installDays.ExecuteNonQuery();
            var versions = Command("DELETE FROM day_versions WHERE product = (SELECT id FROM products WHERE name = $product) AND day < $day");
            versions.Parameters["$product"].Value = product;
            versions.Parameters["$day"].Value = day;
            versions.ExecuteNonQuery();
            if (deleted > 0)
            {
                ForgetUnusedInstalls(product);
            }

            return deleted;
        }

        public void Dispose()
        {
            foreach (var cmd in _commands.Values)
            {
                cmd.Dispose();
            }

            _exists?.Dispose();
            _stage?.Dispose();
            _stageRollups?.Dispose();
            _upsert?.Dispose();
            _touch?.Dispose();
            _installDay?.Dispose();
            connection.Dispose();
        }

        // An install ID that no event and no rollup row names any more is kept by nothing else, so it goes too.
        // One pass over the product's events (NOT IN builds a set), as events have no index by install.
        public long ForgetUnusedInstalls(string product)
        {
            Fold();
            var cmd = Command("""
                DELETE FROM installs WHERE product = (SELECT id FROM products WHERE name = $product)
                  AND id NOT IN (SELECT install FROM events WHERE product = (SELECT id FROM products WHERE name = $product))
                  AND NOT EXISTS (SELECT 1 FROM install_days d WHERE d.install = installs.id)
                """);
            cmd.Parameters["$product"].Value = product;
            var forgotten = cmd.ExecuteNonQuery();
            _installs.Clear();
            return forgotten;
        }

        private long ExecuteWithId(string sql, long id)
        {
            var cmd = Command(sql);
            cmd.Parameters["$id"].Value = id;
            return cmd.ExecuteNonQuery();
        }

        // The empty string is 0 everywhere, so "no CI vendor" and "no country" need no row and compare cheaply.
        private long Intern(string value)
        {
            if (value.Length == 0)
            {
                return 0;
            }

            if (_strings.TryGetValue(value, out var id))
            {
                return id;
            }

            var find = Command("SELECT id FROM strings WHERE value = $value");
            find.Parameters["$value"].Value = value;
            if (find.ExecuteScalar() is not long found)
            {
                var insert = Command("INSERT INTO strings(value) VALUES ($value) RETURNING id");
                insert.Parameters["$value"].Value = value;
                found = (long)insert.ExecuteScalar()!;
            }

            if (_strings.Count > MaxCacheEntries)
            {
                _strings.Clear();
            }

            _strings[value] = found;
            return found;
        }

        private long ContextId(EventContext context)
        {
            if (_contexts.TryGetValue(context, out var id))
            {
                return id;
            }

            var values = new object[]
            {
                Intern(context.Version), Intern(context.Os), Intern(context.OsVersion), Intern(context.Arch), Intern(context.Runtime),
                Intern(context.Ci), Intern(context.Host),
                (context.Container ? SqliteSchema.ContainerFlag : 0) | (context.Wsl ? SqliteSchema.WslFlag : 0) | (context.Interactive ? SqliteSchema.InteractiveFlag : 0),
                Intern(context.Country),
            };
            var find = Command("""
                SELECT id FROM contexts WHERE version = $version AND os = $os AND os_version = $osVersion AND arch = $arch
                  AND runtime = $runtime AND ci = $ci AND host = $host AND flags = $flags AND country = $country
                """);
            SetContext(find, values);
            if (find.ExecuteScalar() is not long found)
            {
                var insert = Command("""
                    INSERT INTO contexts(version, os, os_version, arch, runtime, ci, host, flags, country)
                    VALUES ($version, $os, $osVersion, $arch, $runtime, $ci, $host, $flags, $country) RETURNING id
                    """);
                SetContext(insert, values);
                found = (long)insert.ExecuteScalar()!;
            }

            if (_contexts.Count > MaxCacheEntries)
            {
                _contexts.Clear();
            }

            _contexts[context] = found;
            return found;

            static void SetContext(SqliteCommand cmd, object[] values)
            {
                string[] names = ["$version", "$os", "$osVersion", "$arch", "$runtime", "$ci", "$host", "$flags", "$country"];
                for (var i = 0; i < names.Length; i++)
                {
                    cmd.Parameters[names[i]].Value = values[i];
                }
            }
        }

        // The install's row, created with the event's verifier when the install is new. The first verifier an install
        // is seen with is kept and never replaced: an install stored before verifiers existed (or by an older SDK)
        // takes the first one its owner's upgraded SDK sends, and a later different one, which only someone who
        // learnt the install ID could send, changes nothing.
        private long InstallId(long product, Guid install, byte[]? verifier)
        {
            if (_installs.TryGetValue((product, install), out var cached) && (cached.Verified || verifier is null))
            {
                return cached.Id;
            }

            var uid = install.ToByteArray();
            var find = Command("SELECT id, verifier IS NOT NULL FROM installs WHERE product = $product AND uid = $uid");
            find.Parameters["$product"].Value = product;
            find.Parameters["$uid"].Value = uid;
            long found;
            bool verified;
            using (var reader = find.ExecuteReader())
            {
                (found, verified) = reader.Read() ? (reader.GetInt64(0), reader.GetBoolean(1)) : (0L, false);
            }

            if (found == 0)
            {
                var insert = Command("INSERT INTO installs(product, uid, verifier) VALUES ($product, $uid, $verifier) RETURNING id");
                insert.Parameters["$product"].Value = product;
                insert.Parameters["$uid"].Value = uid;
                insert.Parameters["$verifier"].Value = (object?)verifier ?? DBNull.Value;
                found = (long)insert.ExecuteScalar()!;
                verified = verifier is not null;
            }
            else if (!verified && verifier is not null)
            {
                var update = Command("UPDATE installs SET verifier = $verifier WHERE id = $id AND verifier IS NULL");
                update.Parameters["$id"].Value = found;
                update.Parameters["$verifier"].Value = verifier;
                update.ExecuteNonQuery();
                verified = true;
            }

            if (_installs.Count > MaxCacheEntries)
            {
                _installs.Clear();
            }

            _installs[(product, install)] = (found, verified);
            return found;
        }

        // What this transaction's events add to the rollups, staged with them.
        private void StageRollups()
        {
            if (_rollup.Count == 0)
            {
                return;
            }

            var stage = _stageRollups ??= new SqliteStatement(connection, "INSERT INTO staged_rollups(data) VALUES (?1)");
            stage.Bind(1, RollupDeltas.Encode(_rollup));
            stage.Execute();
            _rollup.Clear();
        }

        /// <summary>
        /// Moves every staged event into the events tree and adds what they count to the rollups, in the open
        /// transaction and in key order, and gives every day that changed a new version. Returns how many events moved.
        /// </summary>
        /// <param name="whatTheFileHolds">
        /// Look at the staging tables even when this process staged nothing (at start, for what a stopped one left).
        /// </param>
        public long Fold(bool whatTheFileHolds = false)
        {
            StageRollups();
            if (_staged.Count == 0 && !whatTheFileHolds)
            {
                return 0;
            }

            var moved = Command("""
                INSERT INTO events(product, time, id, name, revision, install, context, data)
                SELECT product, time, id, name, revision, install, context, data FROM staged_events WHERE true
                ORDER BY product, time, id
                ON CONFLICT DO NOTHING
                """).ExecuteNonQuery();
            Command("DELETE FROM staged_events").ExecuteNonQuery();
            _staged.Clear();

            var rows = new Dictionary<RollupKey, (long Events, byte[]? Summary)>();
            using (var reader = Command("SELECT data FROM staged_rollups ORDER BY id").ExecuteReader())
            {
                while (reader.Read())
                {
                    RollupDeltas.AddTo((byte[])reader.GetValue(0), rows);
                }
            }

            Command("DELETE FROM staged_rollups").ExecuteNonQuery();
            if (rows.Count == 0)
            {
                return moved;
            }

            var upsert = _upsert ??= new SqliteStatement(connection, $"""
                INSERT INTO rollups(product, day, name, context, install, n, summary)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT DO UPDATE SET n = n + excluded.n, summary = {SqliteSchema.MergeFunction}(summary, excluded.summary)
                """);
            var keys = rows.Keys.ToArray();
            Array.Sort(keys);
            foreach (var key in keys)
            {
                var (events, summary) = rows[key];
                upsert.Bind(1, key.Product);
                upsert.Bind(2, key.Day);
                upsert.Bind(3, key.Name);
                upsert.Bind(4, key.Context);
                upsert.Bind(5, key.Install);
                upsert.Bind(6, events);
                if (summary is not null)
                {
                    upsert.Bind(7, summary);
                }
                else
                {
                    upsert.BindNull(7);
                }

                upsert.Execute();
            }

            // Which installs have rollup rows on which days, for deleting an install: a table of its own, written in
            // install order, rather than an index of the rollups by install, which took a page of the log for
            // about every new rollup row (its keys are in another order than the rollups').
            var installDay = _installDay ??= new SqliteStatement(connection, "INSERT OR IGNORE INTO install_days(install, day) VALUES (?1, ?2)");
            var installDays = keys.Select(k => (k.Install, k.Day)).Distinct().ToArray();
            Array.Sort(installDays);
            foreach (var (install, day) in installDays)
            {
                installDay.Bind(1, install);
                installDay.Bind(2, day);
                installDay.Execute();
            }

            // Every day this fold changed gets a new version, so that a day rollup built before no longer counts
            // (queries build it again) and one being built from an older snapshot is not kept.
            var touch = _touch ??= new SqliteStatement(connection, """
                INSERT INTO day_versions(product, day, version) VALUES (?1, ?2, ?3)
                ON CONFLICT DO UPDATE SET version = excluded.version
                """);
            var version = NextVersion();
            foreach (var (product, day) in keys.Select(k => (k.Product, k.Day)).Distinct())
            {
                touch.Bind(1, product);
                touch.Bind(2, day);
                touch.Bind(3, version);
                touch.Execute();
            }

            return moved;
        }

        // After a rollback the staged events are what the file holds, not what this process had added.
        private void ReloadStaged()
        {
            _staged.Clear();
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT product, time, id FROM staged_events";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                _staged.Add((reader.GetInt64(0), reader.GetInt64(1), new Guid((byte[])reader.GetValue(2))));
            }

            Volatile.Write(ref _stagedCount, _staged.Count);
        }

        // Versions only grow, also across restarts (the largest kept is where they resume), so a version never
        // names two different states of a day.
        private long NextVersion()
        {
            _version ??= (long)Command("SELECT MAX(COALESCE((SELECT MAX(version) FROM day_versions), 0), COALESCE((SELECT MAX(version) FROM day_rollups), 0))").ExecuteScalar()!;
            _version++;
            return _version.Value;
        }

        /// <summary>Keeps day rollups a query built, each only if its day has not changed since.</summary>
        public int KeepDayRollups(List<DayRollupRow> rows)
        {
            var keep = Command("""
                INSERT OR REPLACE INTO day_rollups(product, name, part, day, version, data)
                SELECT $product, $name, $part, $day, $version, $data
                WHERE (SELECT version FROM day_versions WHERE product = $product AND day = $day) = $version
                """);
            var kept = 0;
            foreach (var row in rows)
            {
                keep.Parameters["$product"].Value = row.Product;
                keep.Parameters["$name"].Value = row.Name;
                keep.Parameters["$part"].Value = row.Part;
                keep.Parameters["$day"].Value = row.Day;
                keep.Parameters["$version"].Value = row.Version;
                keep.Parameters["$data"].Value = row.Data;
                kept += keep.ExecuteNonQuery();
            }

            return kept;
        }

        private void ForgetCaches()
        {
            _strings.Clear();
            _contexts.Clear();
            _installs.Clear();
            _products.Clear();
        }

        private static HashSet<string> ParameterNames(string sql)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < sql.Length; i++)
            {
                if (sql[i] != '$')
                {
                    continue;
                }

                var end = i + 1;
                while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_'))
                {
                    end++;
                }

                names.Add(sql[i..end]);
                i = end - 1;
            }

            return names;
        }
    }
}

/// <summary>The SQLite schema and the conversions between dates and the day numbers it stores.</summary>
internal static class SqliteSchema
{
    public const long MillisecondsPerDay = 86_400_000;
    public const int ContainerFlag = 1;
    public const int WslFlag = 2;
    public const int InteractiveFlag = 4;

    /// <summary>The layout this code writes, kept in <c>PRAGMA user_version</c>.</summary>
    public const int Version = 6;

    // Layout 5 is layout 4 with the staging tables and install_days instead of an index of the rollups by install;
    // Create makes a layout-4 file one, in its transaction. Layout 6 is layout 5 with each day rollup entry's top
    // count (DayRollup), each install's deletion verifier, the collector's secrets, and without the machine hash
    // that events once carried. Create forgets the day rollups of an older file (they are derived: the queries
    // rebuild them) and adds the new tables; Upgrade adds and drops the columns and records the layout.
    private const int UpgradableVersion = 4;

    private const int TopsVersion = 6;

    /// <summary>The rollup rows under this event name count every event of the install that day (the empty string's ID).</summary>
    public const long AnyEvent = 0;

    /// <summary>The SQL function that merges two <see cref="RollupSummary"/> blobs; the writer's connection defines it.</summary>
    public const string MergeFunction = "candor_merge";

    private static readonly DateOnly Epoch = new(1970, 1, 1);

    public static long DayNumber(DateOnly date) => date.DayNumber - Epoch.DayNumber;

    public static DateOnly DateOf(long dayNumber) => Epoch.AddDays((int)dayNumber);

    /// <summary>Refuses a file that an earlier or later layout wrote, with a sentence saying what to do.</summary>
    /// <exception cref="IOException">The file holds another layout.</exception>
    public static void CheckLayout(SqliteConnection connection, string path)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT (SELECT user_version FROM pragma_user_version), (SELECT COUNT(*) FROM sqlite_schema WHERE name = 'events')";
        using var reader = cmd.ExecuteReader();
        reader.Read();
        var (version, hasEvents) = (reader.GetInt64(0), reader.GetInt64(1) > 0);
        if (version > Version || (version < UpgradableVersion && hasEvents))
        {
            throw new IOException(
                $"{path} was written by {(version > Version ? "a newer" : "an earlier")} version of the collector (layout {version}, this one reads {Version}); " +
                "move it aside to start with an empty store");
        }
    }

    // Strings, contexts and installs are interned so that an event row holds small integers. Events are one
    // B-tree ordered by product and time (WITHOUT ROWID): ranges, retention and de-duplication need no other
    // index, and new events land at the end of the tree instead of at random places of an ID index, so a commit
    // writes few pages. The ID is de-duplicated together with the time, which a retry carries unchanged. Rollups
    // hold one row per product, event name, day, context and install: the install makes distinct installs (user
    // counts and k-anonymity) exact over any range of days, and the values and durations of those events are a
    // small summary blob in the row rather than a row each. Name comes before day so that a query about one event
    // reads only that event's rows; the rows under name 0 count all events of an install that day, for queries
    // about every event. A stored event costs one insert and at most two rollup upserts, made when it is folded
    // from the staging tables (staged_events in arrival order, staged_rollups one blob per commit; see Writer).
    public static readonly string Create = $"""
        CREATE TABLE IF NOT EXISTS products(
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          retention_months INTEGER NOT NULL,
          k INTEGER NOT NULL,
          created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS manifests(
          product INTEGER NOT NULL,
          revision INTEGER NOT NULL,
          json TEXT NOT NULL,
          registered INTEGER NOT NULL,
          PRIMARY KEY(product, revision)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS credentials(
          id INTEGER PRIMARY KEY,
          hash BLOB NOT NULL UNIQUE,
          role INTEGER NOT NULL,
          product TEXT,
          name TEXT NOT NULL,
          created INTEGER NOT NULL,
          revoked INTEGER);
        CREATE TABLE IF NOT EXISTS audit(
          id INTEGER PRIMARY KEY,
          time INTEGER NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          target TEXT NOT NULL,
          detail TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS strings(
          id INTEGER PRIMARY KEY,
          value TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS contexts(
          id INTEGER PRIMARY KEY,
          version INTEGER NOT NULL, os INTEGER NOT NULL, os_version INTEGER NOT NULL, arch INTEGER NOT NULL,
          runtime INTEGER NOT NULL, ci INTEGER NOT NULL, host INTEGER NOT NULL, flags INTEGER NOT NULL, country INTEGER NOT NULL,
          UNIQUE(version, os, os_version, arch, runtime, ci, host, flags, country));
        CREATE TABLE IF NOT EXISTS installs(
          id INTEGER PRIMARY KEY,
          product INTEGER NOT NULL,
          uid BLOB NOT NULL,
          verifier BLOB,
          UNIQUE(product, uid));
        CREATE TABLE IF NOT EXISTS events(
          product INTEGER NOT NULL,
          time INTEGER NOT NULL,
          id BLOB NOT NULL,
          name INTEGER NOT NULL,
          revision INTEGER NOT NULL,
          install INTEGER NOT NULL,
          context INTEGER NOT NULL,
          data BLOB,
          PRIMARY KEY(product, time, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rollups(
          product INTEGER NOT NULL, name INTEGER NOT NULL, day INTEGER NOT NULL, context INTEGER NOT NULL,
          install INTEGER NOT NULL, n INTEGER NOT NULL, summary BLOB,
          PRIMARY KEY(product, name, day, context, install)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS install_days(
          install INTEGER NOT NULL, day INTEGER NOT NULL,
          PRIMARY KEY(install, day)) WITHOUT ROWID;
        INSERT OR IGNORE INTO install_days(install, day)
          SELECT DISTINCT install, day FROM rollups WHERE (SELECT user_version FROM pragma_user_version) = {UpgradableVersion};
        DROP INDEX IF EXISTS rollups_by_install;
        CREATE TABLE IF NOT EXISTS staged_events(
          product INTEGER NOT NULL, time INTEGER NOT NULL, id BLOB NOT NULL, name INTEGER NOT NULL, revision INTEGER NOT NULL,
          install INTEGER NOT NULL, context INTEGER NOT NULL, data BLOB);
        CREATE TABLE IF NOT EXISTS staged_rollups(
          id INTEGER PRIMARY KEY,
          data BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS day_versions(
          product INTEGER NOT NULL, day INTEGER NOT NULL, version INTEGER NOT NULL,
          PRIMARY KEY(product, day)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS day_rollups(
          product INTEGER NOT NULL, name INTEGER NOT NULL, part INTEGER NOT NULL, day INTEGER NOT NULL,
          version INTEGER NOT NULL, data BLOB NOT NULL,
          PRIMARY KEY(product, name, part, day));
        DELETE FROM day_rollups WHERE (SELECT user_version FROM pragma_user_version) < {TopsVersion};
        CREATE TABLE IF NOT EXISTS collector_secrets(
          name TEXT PRIMARY KEY,
          value BLOB NOT NULL);
        """;

    /// <summary>
    /// Brings a file of an earlier layout (read by <see cref="CheckLayout"/>) to this one, after <see cref="Create"/> and
    /// in its transaction, then records the layout. A layout-4 or 5 file gets the installs' verifier column (empty: those
    /// installs get the first verifier their SDK sends, or are deleted by an administrator) and loses the machine hash
    /// of its events: dropping the column rewrites the events table once, and secure_delete zeroes the old pages.
    /// </summary>
    public static void Upgrade(SqliteConnection connection)
    {
        if (!HasColumn(connection, "installs", "verifier"))
        {
            Run(connection, "ALTER TABLE installs ADD COLUMN verifier BLOB");
        }

        foreach (var table in new[] { "events", "staged_events" })
        {
            if (HasColumn(connection, table, "machine"))
            {
                Run(connection, $"ALTER TABLE {table} DROP COLUMN machine");
            }
        }

        Run(connection, $"PRAGMA user_version = {Version}");
    }

    private static bool HasColumn(SqliteConnection connection, string table, string column)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column";
        cmd.Parameters.AddWithValue("$table", table);
        cmd.Parameters.AddWithValue("$column", column);
        return (long)cmd.ExecuteScalar()! > 0;
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
