using System.Data;
using Candor.Collector.Storage.DayRollups;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// Builds and keeps day rollups (<see cref="DayRollup"/>, the SQLite store's encoding and builder) from the
/// per-install rollup rows, which stay the record of truth. A day is built whole, every event name and part at
/// once, in one snapshot (of the read replica when there is one), with the day's version read in it; it is kept only if the day is settled and still has
/// that version (<see cref="PostgresDayVersions"/>). A query that reads the newest two days, which are not kept while
/// they change, builds only the names and kinds of parts it reads, and holds them in memory instead. Collectors build idempotently: two that build the same day
/// build the same bytes, and a kept part is only ever replaced by a newer version.
/// <para>
/// Install sets need small integers: <c>install_numbers</c> gives each (product, install) one, made on the database
/// by the first writer that stores the install's events (<see cref="PostgresEventWriter"/>; the events hold it), or
/// by the first build that meets an install from before. The rollup rows and verifiers keep the install's uuid.
/// </para>
/// </summary>
internal static class PostgresDayRollups
{
    /// <summary>How many days one build reads at once: a week of a busy product's rows is a few hundred thousand.</summary>
    public const int DaysPerBuild = 7;

    /// <summary>Schema version 7.</summary>
    public static Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> Migration => MigrateAsync;

    private static async Task MigrateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand("""
            CREATE SEQUENCE day_version_numbers;
            CREATE TABLE day_versions(
              product integer NOT NULL, day date NOT NULL, version bigint NOT NULL,
              PRIMARY KEY(product, day));
            CREATE TABLE install_numbers(
              product integer NOT NULL, install uuid NOT NULL, number bigint GENERATED ALWAYS AS IDENTITY,
              PRIMARY KEY(product, install));
            CREATE TABLE day_rollups(
              product integer NOT NULL, day date NOT NULL, name integer NOT NULL, part bigint NOT NULL,
              version bigint NOT NULL, data bytea NOT NULL,
              PRIMARY KEY(product, day, name, part)) PARTITION BY RANGE (day);
            """, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var months = (await PostgresPartitions.ListAsync(connection, transaction, "rollup_events", cancellationToken)).Select(p => p.Month).ToList();
        await PostgresPartitions.CreateAsync(connection, transaction, months, cancellationToken);
    }

    /// <summary>
    /// Builds the product's <paramref name="days"/> from their rollup rows in one snapshot of <paramref name="readSource"/>
    /// (the read replica when there is one); the installs are numbered on <paramref name="dataSource"/>, the database.
    /// With <paramref name="only"/>, only those event names' parts of those kinds are built (and only their rows
    /// read), for a query, not for keeping.
    /// </summary>
    public static async Task<List<BuiltDay>> BuildAsync(
        NpgsqlDataSource readSource, NpgsqlDataSource dataSource, int product, DateOnly[] days, IReadOnlyDictionary<long, PartKinds>? only, CancellationToken cancellationToken)
    {
        await using var connection = await readSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var snapshot = await XidSnapshot.ReadAsync(connection, transaction, cancellationToken);
        var rows = new RowFilter(only);
        var installs = new List<Guid>();
        await using (var read = new NpgsqlCommand("SELECT DISTINCT install FROM rollup_events WHERE product = @product AND day = ANY(@days) AND (@every OR name = ANY(@names))", connection, transaction))
        {
            Bind(read, product, days);
            rows.Bind(read.Parameters);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                installs.Add(reader.GetGuid(0));
            }
        }

        var numbers = await NumberAsync(dataSource, product, installs, cancellationToken);
        var built = await ReadAsync(connection, transaction, product, days, numbers, rows, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var day in built)
        {
            day.Snapshot = snapshot;
            day.Finish();
        }

        return built;
    }

    /// <summary>
    /// Keeps the parts of the settled days built, each only if its day still has the version it was built for;
    /// returns how many days were kept. A day without rollup rows is not kept (it has no partition to go to, and
    /// building it again reads nothing).
    /// </summary>
    public static async Task<int> KeepAsync(NpgsqlDataSource dataSource, PostgresPartitions partitions, int product, IEnumerable<BuiltDay> built, CancellationToken cancellationToken)
    {
        var keeping = built.Where(d => d.Settled && !d.Empty).ToList();
        if (keeping.Count == 0)
        {
            return 0;
        }

        try
        {
            await KeepAsync(dataSource, product, keeping, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation)
        {
            // Retention dropped the month's day rollup partition while another product still keeps its rollup rows
            // there: made again, as the writer makes a month it finds missing.
            partitions.Forget();
            await partitions.EnsureAsync(keeping.Select(d => d.Day), cancellationToken);
            await KeepAsync(dataSource, product, keeping, cancellationToken);
        }

        return keeping.Count;
    }

    private static async Task KeepAsync(NpgsqlDataSource dataSource, int product, List<BuiltDay> keeping, CancellationToken cancellationToken)
    {

        var rows = keeping.SelectMany(d => d.Parts.Select(p => (d.Day, d.Version, p.Name, p.Part, p.Data))).ToArray();
        await using var keep = dataSource.CreateCommand("""
            INSERT INTO day_rollups AS r(product, day, name, part, version, data)
            SELECT @product, u.day, u.name, u.part, u.version, u.data
            FROM unnest(@day, @name, @part, @version, @data) AS u(day, name, part, version, data)
            WHERE u.version = COALESCE((SELECT v.version FROM day_versions v WHERE v.product = @product AND v.day = u.day), 0)
            ORDER BY u.day, u.name, u.part
            ON CONFLICT (product, day, name, part) DO UPDATE SET version = excluded.version, data = excluded.data
              WHERE r.version < excluded.version
            """);
        keep.Parameters.AddWithValue("product", product);
        keep.Parameters.Add(new NpgsqlParameter("day", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = Array.ConvertAll(rows, r => r.Day) });
        keep.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = Array.ConvertAll(rows, r => (int)r.Name) });
        keep.Parameters.Add(new NpgsqlParameter("part", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = Array.ConvertAll(rows, r => r.Part) });
        keep.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = Array.ConvertAll(rows, r => r.Version) });
        keep.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = Array.ConvertAll(rows, r => r.Data) });
        await keep.ExecuteNonQueryAsync(cancellationToken);
    }

    // The number of every install that still has rollup rows on the database: an install deleted since the
    // snapshot was taken (on a replica that lags, or a moment ago) is not numbered again, and its rows are left out.
    // A number another collector made while this statement ran is not in its snapshot: asked again.
    private static async Task<Dictionary<Guid, long>> NumberAsync(NpgsqlDataSource dataSource, int product, List<Guid> installs, CancellationToken cancellationToken)
    {
        var numbers = new Dictionary<Guid, long>(installs.Count);
        installs.Sort();
        for (var attempt = 0; attempt < 3 && numbers.Count < installs.Count; attempt++)
        {
            await using var number = dataSource.CreateCommand("""
                WITH wanted AS (
                  SELECT i AS install FROM unnest(@installs) AS i
                  WHERE EXISTS (SELECT 1 FROM rollup_events r WHERE r.install = i AND r.product = @product)),
                added AS (
                  INSERT INTO install_numbers(product, install)
                  SELECT @product, w.install FROM wanted w
                  WHERE NOT EXISTS (SELECT 1 FROM install_numbers n WHERE n.product = @product AND n.install = w.install)
                  ORDER BY 2
                  ON CONFLICT DO NOTHING
                  RETURNING install, number)
                SELECT install, number FROM added
                UNION ALL
                SELECT n.install, n.number FROM install_numbers n WHERE n.product = @product AND n.install = ANY(@installs)
                """);
            number.Parameters.AddWithValue("product", product);
            number.Parameters.Add(new NpgsqlParameter("installs", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = installs.Where(i => !numbers.ContainsKey(i)).ToArray() });
            await using var reader = await number.ExecuteReaderAsync(cancellationToken);
            var found = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                numbers[reader.GetGuid(0)] = reader.GetInt32(1);
                found++;
            }

            if (found == 0)
            {
                break;
            }
        }

        return numbers;
    }

    private static async Task<List<BuiltDay>> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int product, DateOnly[] days, Dictionary<Guid, long> numbers, RowFilter rows, CancellationToken cancellationToken)
    {
        var built = new Dictionary<DateOnly, BuiltDay>();
        await using (var versions = new NpgsqlCommand(PostgresDayVersions.DaysSql, connection, transaction))
        {
            Bind(versions, product, days);
            await using var reader = await versions.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var day = reader.GetFieldValue<DateOnly>(0);
                built[day] = new BuiltDay(day, reader.GetInt64(1), reader.GetBoolean(2), rows.Only) { Stamp = reader.GetInt64(3) };
            }
        }

        // Name 0 counts the events of every name, from their rollup_events rows; values (packed in those rows) and
        // buckets are only in the parts of the names that have them.
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new("SELECT day, name, context, install, n, summary FROM rollup_events WHERE product = @product AND day = ANY(@days) AND (@every OR name = ANY(@names))"),
                new("SELECT day, name, field, context, bucket, n FROM rollup_measures WHERE product = @product AND day = ANY(@days) AND (@all OR name = ANY(@names))"),
            },
        };
        foreach (NpgsqlBatchCommand command in batch.BatchCommands)
        {
            command.Parameters.AddWithValue("product", product);
            command.Parameters.Add(new NpgsqlParameter("days", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = days });
            rows.Bind(command.Parameters);
        }

        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (numbers.TryGetValue(reader.GetGuid(3), out var install))
                {
                    var summary = reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5);
                    built[reader.GetFieldValue<DateOnly>(0)].Add(reader.GetInt32(1), reader.GetInt32(2), install, reader.GetInt64(4), summary);
                }
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                built[reader.GetFieldValue<DateOnly>(0)].Builder(reader.GetInt32(1))
                    ?.AddBucket(reader.GetInt32(3), reader.GetInt32(2), reader.GetInt32(4), reader.GetInt64(5));
            }
        }

        return [.. built.Values.OrderBy(d => d.Day)];
    }

    private static void Bind(NpgsqlCommand command, int product, DateOnly[] days)
    {
        command.Parameters.AddWithValue("product", product);
        command.Parameters.Add(new NpgsqlParameter("days", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = days });
    }

    /// <summary>The rows a build reads: every row, or those of the names whose parts it builds.</summary>
    private sealed class RowFilter(IReadOnlyDictionary<long, PartKinds>? only)
    {
        public IReadOnlyDictionary<long, PartKinds>? Only { get; } = only;

        public void Bind(NpgsqlParameterCollection parameters)
        {
            parameters.AddWithValue("every", Only is null || Only.ContainsKey(RollupRead.AnyEvent));
            parameters.AddWithValue("all", Only is null);
            parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Integer)
            {
                Value = Only is null ? Array.Empty<int>() : Only.Keys.Where(n => n != RollupRead.AnyEvent).Select(n => (int)n).ToArray(),
            });
        }
    }

    /// <summary>
    /// One day built: its version, whether it was settled and its stamp when read (<see cref="PostgresDayVersions.DaysSql"/>),
    /// and every part (or, with <c>only</c>, the parts asked for) of every event name that has rows, with name 0
    /// (<see cref="RollupRead.AnyEvent"/>) counting every event of an install once.
    /// </summary>
    internal sealed class BuiltDay(DateOnly day, long version, bool settled, IReadOnlyDictionary<long, PartKinds>? only = null)
    {
        private readonly Dictionary<int, DayRollup.Builder?> _builders = [];
        // Name 0's rows: one install in one context, its events of every name added up, as the SQLite store keeps them.
        private readonly Dictionary<(long Context, long Install), long> _any = [];
        private readonly bool _withAny = only is null || only.ContainsKey(RollupRead.AnyEvent);
        private DayRollup.Builder? _anyBuilder;

        public DateOnly Day { get; } = day;

        public long Version { get; } = version;

        public bool Settled { get; } = settled;

        /// <summary>The day's stamp in the snapshot it was built in (0 when settled).</summary>
        public long Stamp { get; init; }

        /// <summary>Which transactions' rows the snapshot it was built in saw.</summary>
        public XidSnapshot Snapshot { get; set; }

        /// <summary>Whether the day has no rollup rows (of the names built).</summary>
        public bool Empty { get; private set; } = true;

        public List<(long Name, long Part, byte[] Data)> Parts { get; } = [];

        /// <summary>One rollup row: an install's events of one name in one context, and their values packed.</summary>
        public void Add(int name, int context, long install, long n, byte[]? summary)
        {
            Empty = false;
            Builder(name)?.Add(context, install, n, summary);
            if (_withAny)
            {
                var key = ((long)context, install);
                _any[key] = _any.GetValueOrDefault(key) + n;
            }
        }

        /// <summary>The builder of the name's parts, or null when they are not built.</summary>
        public DayRollup.Builder? Builder(int name)
        {
            if (!_builders.TryGetValue(name, out var builder))
            {
                _builders[name] = builder = NewBuilder(name);
            }

            return builder;
        }

        /// <summary>Name 0's rows (one install in one context, its events of every name added up), when built.</summary>
        public Dictionary<(long Context, long Install), long>? Any => _withAny ? _any : null;

        /// <summary>The names that had rows, name 0 among them when built, after <see cref="Finish"/>.</summary>
        public IEnumerable<long> Names => _builders.Where(b => b.Value is not null).Select(b => (long)b.Key).Concat(_any.Count > 0 ? [RollupRead.AnyEvent] : []);

        /// <summary>The builder of a name that had rows, after <see cref="Finish"/>; it can be added to and encoded again.</summary>
        public DayRollup.Builder? BuilderOf(long name) =>
            name == RollupRead.AnyEvent ? (_any.Count > 0 ? _anyBuilder : null) : _builders.GetValueOrDefault((int)name);

        public void Finish()
        {
            if (_withAny)
            {
                var any = _anyBuilder = NewBuilder(RollupRead.AnyEvent)!;
                foreach (var ((context, install), n) in _any)
                {
                    any.Add(context, install, n, default);
                }

                foreach (var (part, data) in any.BuildParts())
                {
                    Parts.Add((RollupRead.AnyEvent, part, data));
                }
            }

            foreach (var (name, builder) in _builders)
            {
                foreach (var (part, data) in builder?.BuildParts() ?? [])
                {
                    Parts.Add((name, part, data));
                }
            }
        }

        private DayRollup.Builder? NewBuilder(long name) =>
            only is null ? new DayRollup.Builder()
            : !only.TryGetValue(name, out var kinds) ? null
            : kinds switch
            {
                PartKinds.Contexts => new DayRollup.Builder(DayRollup.ContextsPart),
                PartKinds.Rest => DayRollup.Builder.WithoutContexts(),
                _ => new DayRollup.Builder(),
            };
    }
}

/// <summary>Which parts of one event name's day a query reads: the contexts part, the rest (totals and fields), or both.</summary>
[Flags]
internal enum PartKinds
{
    Contexts = 1,
    Rest = 2,
}
