using Candor.Collector.Storage.DayRollups;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

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
internal sealed partial class SqliteWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly int _eventsPerFold;

    public SqliteWriter(SqliteConnection connection, int eventsPerFold)
    {
        _connection = connection;
        _eventsPerFold = eventsPerFold;
    }

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

    public void Run(List<SqliteWork> batch)
    {
        _transaction = _connection.BeginTransaction();
        try
        {
            foreach (var work in batch)
            {
                work.Execute(this);
            }

            StageRollups();
            if (_staged.Count >= _eventsPerFold)
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
            cmd = _connection.CreateCommand();
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
        _connection.Dispose();
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
