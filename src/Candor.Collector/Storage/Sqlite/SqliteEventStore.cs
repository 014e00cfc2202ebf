using System.Collections.Concurrent;
using System.Threading.Channels;
using Candor.Collector.Storage.DayRollups;
using Candor.Manifest;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Every write goes through one writer that takes whatever
/// has queued up (many requests' events, catalogue changes, deletions), runs it in one transaction, commits,
/// and only then completes the callers' tasks: an acknowledged event is on disk. Events are staged by those
/// commits and folded into the events and rollups thousands at a time (see SqliteWriter). Reads use their own pooled
/// connections; reads of events and rollups first have the writer fold what is staged. Rows are kept small: names, versions and contexts are interned,
/// IDs are 16-byte blobs and properties are packed by <see cref="PropertyCodec"/>.
/// </summary>
internal sealed partial class SqliteEventStore : IEventStore
{
    private readonly StorageOptions _options;
    private readonly int _deleteChunk;
    private readonly string _connectionString;
    private readonly GroupCommitQueue<SqliteWork> _queue;
    private const int MaxRecentDays = 256;
    private const long MaxHeldBytes = 64L << 20;

    private readonly ManifestCache _manifests = new(SqliteDialect.Instance);
    private readonly ConcurrentDictionary<RecentKey, RecentDay> _recent = new();
    private readonly ConcurrentDictionary<HeldKey, HeldPart> _held = new();
    private long _heldBytes;
    private SqliteWriter? _writer;
    private readonly Channel<SqliteWork> _committed = Channel.CreateUnbounded<SqliteWork>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Action<FileStream> _flushWal;
    private Task? _writerLoop;
    private Task? _flusherLoop;
    private FileStream? _wal;
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
        _queue = new GroupCommitQueue<SqliteWork>(options.MaxEventsPerTransaction, Write, Committed, singleReader: true);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public int Backlog => _queue.Backlog;

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
        _writer = new SqliteWriter(connection, _options.EventsPerFold);
        // What a stopped process staged is folded before anything else reads or writes.
        _writer.Run([new SqliteWork<long>(0, w => w.Fold(whatTheFileHolds: true))]);
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

        _queue.Complete();
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

    // Reads of events and rollups first fold the staged events into them (see SqliteWriter.Fold), so that they see
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
}
