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
internal sealed class PostgresEventStore : IEventStore
{
    private readonly StorageOptions _options;
    private readonly int _deleteChunk;
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresInterner _interner;
    private readonly PostgresEventWriter _writer;
    private readonly GroupCommitQueue<AppendWork> _queue;
    private readonly ConcurrentDictionary<(string, int), TelemetryManifest> _manifests = new();
    private readonly ConcurrentDictionary<int, string> _strings = new();
    private Task[] _writerLoops = [];
    private readonly WriterPace[] _paces;

    /// <param name="options">The connection string and how many events one transaction takes.</param>
    /// <param name="deleteChunk">How many expired events one retention statement deletes.</param>
    /// <param name="writers">
    /// How many transactions with events this process runs at once. Two let one batch be written while the other
    /// waits for its commit; more mostly wait for each other's locks on the same rollup rows.
    /// </param>
    public PostgresEventStore(StorageOptions options, int deleteChunk = 10_000, int writers = 2)
    {
        _options = options;
        _deleteChunk = deleteChunk;
        _paces = [.. Enumerable.Range(0, writers).Select(_ => new WriterPace())];
        _dataSource = NpgsqlDataSource.Create(options.ConnectionString ?? throw new ArgumentException("Storage:ConnectionString is not set", nameof(options)));
        _interner = new PostgresInterner(_dataSource);
        _writer = new PostgresEventWriter(_dataSource, _interner);
        _queue = new GroupCommitQueue<AppendWork>(options.MaxEventsPerTransaction, WriteAsync, work => work.Complete(), singleReader: false);
    }

    public int Backlog => _queue.Backlog;

    public TimeSpan EstimatedWait => WriterPace.EstimateWait(_paces, Backlog);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await PostgresSchema.MigrateAsync(_dataSource, cancellationToken);
        _writerLoops = [.. _paces.Select(pace => Task.Run(() => RunWriterAsync(pace), CancellationToken.None))];
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Complete();
        await Task.WhenAll(_writerLoops);
        await _dataSource.DisposeAsync();
    }

    // ---- catalogue ----------------------------------------------------------------------------------------

    public async Task<ProductRecord> SaveProductAsync(ProductRecord product, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO products(name, retention_months, k, created) VALUES (@name, @retention, @k, @created)
            ON CONFLICT (name) DO UPDATE SET retention_months = excluded.retention_months, k = excluded.k
            RETURNING created
            """);
        cmd.Parameters.AddWithValue("name", product.Name);
        cmd.Parameters.AddWithValue("retention", product.RetentionMonths);
        cmd.Parameters.AddWithValue("k", product.KThreshold);
        cmd.Parameters.AddWithValue("created", Utc(product.Created));
        var created = (DateTime)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        return product with { Created = new DateTimeOffset(created) };
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
        await using var cmd = _dataSource.CreateCommand("SELECT name, retention_months, k, created FROM products ORDER BY name COLLATE \"C\"");
        var products = new List<ProductRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            products.Add(new ProductRecord(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), new DateTimeOffset(reader.GetDateTime(3))));
        }

        return products;
    }

    public async Task<bool> AddManifestAsync(ManifestRecord manifest, CancellationToken cancellationToken)
    {
        var product = await _interner.ProductAsync(manifest.Product, cancellationToken);
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO manifests(product, revision, json, registered) VALUES (@product, @revision, @json, @registered)
            ON CONFLICT DO NOTHING
            """);
        cmd.Parameters.AddWithValue("product", product);
        cmd.Parameters.AddWithValue("revision", manifest.Revision);
        cmd.Parameters.AddWithValue("json", manifest.Json);
        cmd.Parameters.AddWithValue("registered", Utc(manifest.Registered));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<ManifestRecord>> GetManifestsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT p.name, m.revision, m.json, m.registered FROM manifests m JOIN products p ON p.id = m.product
            ORDER BY p.name COLLATE "C", m.revision
            """);
        var manifests = new List<ManifestRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            manifests.Add(new ManifestRecord(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), new DateTimeOffset(reader.GetDateTime(3))));
        }

        return manifests;
    }

    public async Task<long> AddCredentialAsync(CredentialRecord credential, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO credentials(hash, role, product, name, created) VALUES (@hash, @role, @product, @name, @created)
            RETURNING id
            """);
        cmd.Parameters.AddWithValue("hash", credential.Hash);
        cmd.Parameters.AddWithValue("role", (short)credential.Role);
        cmd.Parameters.Add(new NpgsqlParameter("product", NpgsqlDbType.Text) { Value = (object?)credential.Product ?? DBNull.Value });
        cmd.Parameters.AddWithValue("name", credential.Name);
        cmd.Parameters.AddWithValue("created", Utc(credential.Created));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<CredentialRecord>> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT id, hash, role, product, name, created FROM credentials WHERE revoked IS NULL ORDER BY id");
        var credentials = new List<CredentialRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            credentials.Add(new CredentialRecord(
                reader.GetInt64(0),
                reader.GetFieldValue<byte[]>(1),
                (CredentialRole)reader.GetInt16(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                new DateTimeOffset(reader.GetDateTime(5))));
        }

        return credentials;
    }

    public async Task<DateTimeOffset?> FindRevocationAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT revoked FROM credentials WHERE hash = @hash AND revoked IS NOT NULL");
        cmd.Parameters.AddWithValue("hash", hash);
        return await cmd.ExecuteScalarAsync(cancellationToken) is DateTime revoked ? new DateTimeOffset(DateTime.SpecifyKind(revoked, DateTimeKind.Utc)) : null;
    }

    public async Task<bool> RevokeCredentialAsync(long id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("UPDATE credentials SET revoked = @at WHERE id = @id AND revoked IS NULL");
        cmd.Parameters.AddWithValue("at", Utc(at));
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("INSERT INTO audit(time, actor, action, target, detail) VALUES (@time, @actor, @action, @target, @detail)");
        cmd.Parameters.AddWithValue("time", Utc(entry.Time));
        cmd.Parameters.AddWithValue("actor", entry.Actor);
        cmd.Parameters.AddWithValue("action", entry.Action);
        cmd.Parameters.AddWithValue("target", entry.Target);
        cmd.Parameters.AddWithValue("detail", entry.Detail);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditEntry>> GetAuditAsync(int limit, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT time, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", limit);
        var entries = new List<AuditEntry>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(new DateTimeOffset(reader.GetDateTime(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
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

        var work = new AppendWork(events);
        return _queue.TryAdd(work) ? work.Task : Task.FromException<IReadOnlyList<AppendOutcome>>(new ObjectDisposedException(nameof(PostgresEventStore)));
    }

    // An install's events are found through the days its rollup rows name (each day one range of the time index),
    // plus one range for the days before the product's oldest rollup, as in the SQLite store. One transaction, so
    // the raw events and the rollup rows go together.
    public async Task<long> DeleteInstallAsync(string product, Guid install, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var productId = await ScalarAsync<int?>(connection, transaction, "SELECT id FROM products WHERE name = @product", cancellationToken, ("product", product));
        if (productId is null)
        {
            return 0;
        }

        var ranges = new List<(DateTime From, DateTime To)>();
        await using (var days = new NpgsqlCommand("SELECT DISTINCT day FROM rollup_events WHERE product = @product AND install = @install", connection, transaction))
        {
            days.Parameters.AddWithValue("product", productId.Value);
            days.Parameters.AddWithValue("install", install);
            await using var reader = await days.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var day = Start(reader.GetFieldValue<DateOnly>(0));
                ranges.Add((day, day.AddDays(1)));
            }
        }

        // Before the product's oldest rollup day; with no rollups at all, every time (infinity in PostgreSQL).
        var before = DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc);
        await using (var oldest = new NpgsqlCommand("SELECT MIN(day) FROM rollup_events WHERE product = @product", connection, transaction))
        {
            oldest.Parameters.AddWithValue("product", productId.Value);
            await using var reader = await oldest.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0))
            {
                before = Start(reader.GetFieldValue<DateOnly>(0));
            }
        }

        ranges.Add((DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), before));

        long deleted;
        await using (var delete = new NpgsqlCommand("""
            DELETE FROM events e USING unnest(@from, @to) AS r(from_time, to_time)
            WHERE e.product = @product AND e.time >= r.from_time AND e.time < r.to_time AND e.install = @install
            """, connection, transaction))
        {
            delete.Parameters.AddWithValue("product", productId.Value);
            delete.Parameters.AddWithValue("install", install);
            delete.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = ranges.Select(r => r.From).ToArray() });
            delete.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = ranges.Select(r => r.To).ToArray() });
            deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var table in new[] { "rollup_events", "rollup_values", "install_verifiers" })
        {
            await using var rollups = new NpgsqlCommand($"DELETE FROM {table} WHERE install = @install AND product = @product", connection, transaction);
            rollups.Parameters.AddWithValue("product", productId.Value);
            rollups.Parameters.AddWithValue("install", install);
            await rollups.ExecuteNonQueryAsync(cancellationToken);
        }

        await PostgresErasure.MarkAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<byte[]?> GetInstallVerifierAsync(string product, Guid install, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT verifier FROM install_verifiers WHERE product = (SELECT id FROM products WHERE name = @product) AND install = @install");
        cmd.Parameters.AddWithValue("product", product);
        cmd.Parameters.AddWithValue("install", install);
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    // In chunks, each its own transaction, so that deleting a month of events never holds locks for long. One
    // collector at a time per product: the others find the lock taken and leave the work to it (and report 0).
    public async Task<long> DeleteEventsBeforeAsync(string product, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (!await ScalarAsync<bool>(connection, null, $"SELECT pg_try_advisory_lock({PostgresSchema.LockKey("retention", "product")})", cancellationToken, ("product", product)))
        {
            return 0;
        }

        try
        {
            await using var delete = new NpgsqlCommand("""
                DELETE FROM events WHERE id IN (
                  SELECT id FROM events WHERE product = (SELECT id FROM products WHERE name = @product) AND time < @cutoff LIMIT @limit)
                """, connection);
            delete.Parameters.AddWithValue("product", product);
            delete.Parameters.AddWithValue("cutoff", Utc(cutoff));
            delete.Parameters.AddWithValue("limit", _deleteChunk);
            long total = 0;
            long deleted;
            do
            {
                deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
                total += deleted;
            }
            while (deleted == _deleteChunk);

            if (total > 0)
            {
                await ForgetUnusedVerifiersAsync(connection, null, product, cancellationToken);
                await PostgresErasure.MarkAsync(connection, null, cancellationToken);
            }

            return total;
        }
        finally
        {
            // The connection goes back to the pool, which keeps session locks: release it explicitly.
            await ScalarAsync<bool>(connection, null, $"SELECT pg_advisory_unlock({PostgresSchema.LockKey("retention", "product")})", CancellationToken.None, ("product", product));
        }
    }

    // Its queries aggregate the rollup rows in the database; there is nothing to prepare.
    public Task<long> PrepareDayRollupsAsync(string product, DateOnly from, DateOnly to, CancellationToken cancellationToken) => Task.FromResult(0L);

    public async Task<long> DeleteRollupsBeforeAsync(string product, DateOnly cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await ScalarAsync<bool>(connection, transaction, $"SELECT pg_try_advisory_xact_lock({PostgresSchema.LockKey("retention", "product")})", cancellationToken, ("product", product)))
        {
            return 0;
        }

        long deleted = 0;
        foreach (var table in new[] { "rollup_events", "rollup_values", "rollup_measures" })
        {
            await using var delete = new NpgsqlCommand($"DELETE FROM {table} WHERE product = (SELECT id FROM products WHERE name = @product) AND day < @day", connection, transaction);
            delete.Parameters.AddWithValue("product", product);
            delete.Parameters.AddWithValue("day", cutoff);
            deleted += await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await ForgetUnusedVerifiersAsync(connection, transaction, product, cancellationToken);
        if (deleted > 0)
        {
            await PostgresErasure.MarkAsync(connection, transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    public Task<bool> CompactErasedAsync(TimeSpan age, CancellationToken cancellationToken) =>
        PostgresErasure.CompactAsync(_dataSource, age, cancellationToken);

    // A verifier whose install no rollup row and no event names any more would keep the install ID after every trace
    // of it expired: it goes too, as the SQLite store forgets such an install. One pass over the product's events
    // (NOT IN builds a set), as events have no index by install.
    private static async Task ForgetUnusedVerifiersAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string product, CancellationToken cancellationToken)
    {
        await using var forget = new NpgsqlCommand("""
            DELETE FROM install_verifiers v WHERE v.product = (SELECT id FROM products WHERE name = @product)
              AND NOT EXISTS (SELECT 1 FROM rollup_events r WHERE r.install = v.install AND r.product = v.product)
              AND v.install NOT IN (SELECT install FROM events WHERE product = (SELECT id FROM products WHERE name = @product))
            """, connection, transaction);
        forget.Parameters.AddWithValue("product", product);
        await forget.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> CountRawEventsAsync(string product, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT COUNT(*) FROM events WHERE product = (SELECT id FROM products WHERE name = @product)");
        cmd.Parameters.AddWithValue("product", product);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<RawEvent>> ReadRawAsync(EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand($"""
            SELECT e.id, n.value, e.revision, e.time, e.install, NULL, e.data,
                   sv.value, so.value, sov.value, sa.value, sr.value, sci.value, sh.value, c.flags, sc.value
            FROM events e
            JOIN strings n ON n.id = e.name
            JOIN contexts c ON c.id = e.context
            LEFT JOIN strings sv ON sv.id = c.version
            LEFT JOIN strings so ON so.id = c.os
            LEFT JOIN strings sov ON sov.id = c.os_version
            LEFT JOIN strings sa ON sa.id = c.arch
            LEFT JOIN strings sr ON sr.id = c.runtime
            LEFT JOIN strings sci ON sci.id = c.ci
            LEFT JOIN strings sh ON sh.id = c.host
            LEFT JOIN strings sc ON sc.id = c.country
            WHERE e.product = (SELECT id FROM products WHERE name = @product)
              AND e.time >= @fromTime AND e.time < @toTime
              {(filter.Event is null ? "" : "AND e.name = (SELECT id FROM strings WHERE key = @event)")}
              AND {ContextCondition(filter, "e.context")}
            ORDER BY e.time, e.id
            LIMIT @limit
            """, connection);
        AddFilterParameters(cmd, filter);
        cmd.Parameters.AddWithValue("fromTime", Start(filter.From));
        cmd.Parameters.AddWithValue("toTime", Start(filter.To).AddDays(1));
        cmd.Parameters.AddWithValue("limit", limit);

        var rows = new List<(Guid Id, string Name, int Revision, DateTime Time, Guid Install, byte[]? Data, EventContext Context)>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var flags = reader.GetInt16(14);
                var context = new EventContext(
                    Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10), Text(reader, 11), Text(reader, 12), Text(reader, 13),
                    (flags & PostgresSchema.ContainerFlag) != 0, (flags & PostgresSchema.WslFlag) != 0, (flags & PostgresSchema.InteractiveFlag) != 0,
                    Text(reader, 15));
                rows.Add((
                    reader.GetGuid(0),
                    reader.GetString(1),
                    reader.GetInt32(2),
                    reader.GetDateTime(3),
                    reader.GetGuid(4),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6),
                    context));
            }
        }

        // Packed values name interned strings (versions, stack signatures): decode once to learn which, fetch
        // those in one query, then decode for real.
        var definitions = new Dictionary<(int, string), EventDefinition>();
        var wanted = new HashSet<int>();
        foreach (var row in rows.Where(r => r.Data is not null))
        {
            var definition = await FindDefinitionAsync(connection, filter.Product, row.Revision, row.Name, cancellationToken);
            definitions[(row.Revision, row.Name)] = definition;
            PropertyCodec.Decode(row.Data!, definition, id =>
            {
                wanted.Add((int)id);
                return "";
            });
        }

        var strings = await LoadStringsAsync(connection, wanted, cancellationToken);
        return [.. rows.Select(row =>
        {
            var (properties, measurements) = row.Data is null
                ? ([], [])
                : PropertyCodec.Decode(row.Data, definitions[(row.Revision, row.Name)], id => strings[(int)id]);
            return new RawEvent(row.Id, row.Name, row.Revision, new DateTimeOffset(row.Time), row.Install, row.Context, properties, measurements);
        })];

        static string Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? "" : reader.GetString(ordinal);
    }

    // ---- queries over the rollups -------------------------------------------------------------------------

    // The fingerprint of a set of installs is the XOR of a 64-bit hash of each install ID (see PeriodCount), and
    // the bound on one install's events adds up, per day, the largest count of one install in one context: the rows
    // of all event names are summed per install first, as the SQLite store's rows under every event's name are.
    private const string Fingerprint = "bit_xor(DISTINCT hashtextextended(r.install::text, 0))";

    public async Task<IReadOnlyList<PeriodCount>> CountEventsAsync(EventFilter filter, Interval interval, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand($"""
            WITH r AS (
              SELECT {PeriodExpression(interval)} AS period, day, context, install, SUM(n) AS n
              FROM rollup_events
              WHERE {RollupConditions(filter)}
              GROUP BY period, day, context, install),
            tops AS (SELECT period, day, MAX(n) AS top FROM r GROUP BY period, day)
            SELECT r.period, SUM(r.n)::bigint, COUNT(DISTINCT r.install), {Fingerprint},
              (SELECT SUM(t.top) FROM tops t WHERE t.period IS NOT DISTINCT FROM r.period)::bigint
            FROM r
            GROUP BY r.period ORDER BY r.period
            """);
        AddFilterParameters(cmd, filter);
        var rows = new List<PeriodCount>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PeriodCount(PeriodStart(reader, interval, filter), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    public async Task<IReadOnlyList<GroupCount>> CountByPropertyAsync(EventFilter filter, string property, CancellationToken cancellationToken)
    {
        // Ordered by code point ("C"), as SQLite compares text, whatever the database's collation.
        // A value's rows are kept per event name, so its bound adds up the largest row per event name and day.
        await using var cmd = _dataSource.CreateCommand($"""
            WITH r AS (
              SELECT r.value, r.day, r.name, r.install, r.n
              FROM rollup_values r
              WHERE {RollupConditions(filter, "r.")} AND r.field = (SELECT id FROM strings WHERE key = @property)),
            tops AS (SELECT value, day, name, MAX(n) AS top FROM r GROUP BY value, day, name)
            SELECT s.value, SUM(r.n)::bigint AS events, COUNT(DISTINCT r.install), {Fingerprint},
              (SELECT SUM(t.top) FROM tops t WHERE t.value = r.value)::bigint
            FROM r JOIN strings s ON s.id = r.value
            GROUP BY r.value, s.value ORDER BY events DESC, s.value COLLATE "C"
            """);
        AddFilterParameters(cmd, filter);
        cmd.Parameters.AddWithValue("property", PostgresSchema.StringKey(property));
        return await ReadGroupsAsync(cmd, cancellationToken);
    }

    public async Task<IReadOnlyList<GroupCount>> CountByContextAsync(EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken)
    {
        // Interned dimensions are named through the strings table; the container flag is a bit of the context's flags.
        var column = dimension switch
        {
            ContextDimension.Version => "version",
            ContextDimension.Os => "os",
            ContextDimension.Runtime => "runtime",
            ContextDimension.Country => "country",
            ContextDimension.Ci => "ci",
            ContextDimension.Container => null,
            _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
        };
        var value = column is null ? $"CASE WHEN c.flags & {PostgresSchema.ContainerFlag} <> 0 THEN 'true' ELSE 'false' END" : "COALESCE(s.value, '')";
        var join = column is null ? "" : $"LEFT JOIN strings s ON s.id = c.{column}";
        await using var cmd = _dataSource.CreateCommand($"""
            WITH r AS (
              SELECT {value} AS grp, r.day, r.context, r.install, SUM(r.n) AS n
              FROM rollup_events r JOIN contexts c ON c.id = r.context {join}
              WHERE {RollupConditions(filter, "r.")}
              GROUP BY grp, r.day, r.context, r.install),
            tops AS (SELECT grp, day, MAX(n) AS top FROM r GROUP BY grp, day)
            SELECT r.grp, SUM(r.n)::bigint AS events, COUNT(DISTINCT r.install), {Fingerprint},
              (SELECT SUM(t.top) FROM tops t WHERE t.grp = r.grp)::bigint
            FROM r
            GROUP BY r.grp ORDER BY events DESC, r.grp COLLATE "C"
            """);
        AddFilterParameters(cmd, filter);
        return await ReadGroupsAsync(cmd, cancellationToken);
    }

    // Each query is one SQL statement that PostgreSQL plans and runs over its own rollup rows; there is no day
    // rollup here to share between them.
    public Task<IReadOnlyList<RollupAnswer>> CountAsync(IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken) =>
        RollupQuery.AnswerEachAsync(this, queries, cancellationToken);

    public async Task<IReadOnlyList<HistogramCount>> GetDurationHistogramAsync(EventFilter filter, string measurement, Interval interval, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand($"""
            SELECT {PeriodExpression(interval)} AS period, bucket, SUM(n)::bigint
            FROM rollup_measures
            WHERE {RollupConditions(filter)} AND field = (SELECT id FROM strings WHERE key = @measurement)
            GROUP BY period, bucket ORDER BY period, bucket
            """);
        AddFilterParameters(cmd, filter);
        cmd.Parameters.AddWithValue("measurement", PostgresSchema.StringKey(measurement));
        var rows = new List<HistogramCount>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new HistogramCount(PeriodStart(reader, interval, filter), reader.GetInt32(1), reader.GetInt64(2)));
        }

        return rows;
    }

    private static async Task<IReadOnlyList<GroupCount>> ReadGroupsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var rows = new List<GroupCount>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new GroupCount(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    private static string RollupConditions(EventFilter filter, string alias = "") =>
        $"""
        {alias}product = (SELECT id FROM products WHERE name = @product)
          AND {alias}day BETWEEN @fromDay AND @toDay
          {(filter.Event is null ? "" : $"AND {alias}name = (SELECT id FROM strings WHERE key = @event)")}
          AND {ContextCondition(filter, alias + "context")}
        """;

    private static string ContextCondition(EventFilter filter, string column)
    {
        if (filter.Version is null && filter.Os is null && filter.Ci is null)
        {
            return "TRUE";
        }

        var conditions = new List<string>();
        if (filter.Version is not null)
        {
            conditions.Add("version = (SELECT id FROM strings WHERE key = @version)");
        }

        if (filter.Os is not null)
        {
            conditions.Add("os = (SELECT id FROM strings WHERE key = @os)");
        }

        if (filter.Ci is not null)
        {
            conditions.Add(filter.Ci.Value ? "ci <> 0" : "ci = 0");
        }

        return $"{column} IN (SELECT id FROM contexts WHERE {string.Join(" AND ", conditions)})";
    }

    private static void AddFilterParameters(NpgsqlCommand cmd, EventFilter filter)
    {
        cmd.Parameters.AddWithValue("product", filter.Product);
        cmd.Parameters.AddWithValue("fromDay", filter.From);
        cmd.Parameters.AddWithValue("toDay", filter.To);
        if (filter.Event is not null)
        {
            cmd.Parameters.AddWithValue("event", PostgresSchema.StringKey(filter.Event));
        }

        if (filter.Version is not null)
        {
            cmd.Parameters.AddWithValue("version", PostgresSchema.StringKey(filter.Version));
        }

        if (filter.Os is not null)
        {
            cmd.Parameters.AddWithValue("os", PostgresSchema.StringKey(filter.Os));
        }
    }

    // Days are plain dates and are truncated as timestamps without a time zone, so the session's TimeZone setting
    // cannot shift a period. Weeks start on Monday (ISO), as in the SQLite store.
    private static string PeriodExpression(Interval interval) => interval switch
    {
        Interval.Day => "day",
        Interval.Week => "date_trunc('week', day::timestamp)::date",
        Interval.Month => "date_trunc('month', day::timestamp)::date",
        _ => "NULL::date",
    };

    private static DateOnly PeriodStart(NpgsqlDataReader reader, Interval interval, EventFilter filter) =>
        interval is Interval.Total ? filter.From : reader.GetFieldValue<DateOnly>(0);

    private async Task<EventDefinition> FindDefinitionAsync(NpgsqlConnection connection, string product, int revision, string name, CancellationToken cancellationToken)
    {
        if (!_manifests.TryGetValue((product, revision), out var manifest))
        {
            await using var cmd = new NpgsqlCommand("SELECT json FROM manifests WHERE product = (SELECT id FROM products WHERE name = @product) AND revision = @revision", connection);
            cmd.Parameters.AddWithValue("product", product);
            cmd.Parameters.AddWithValue("revision", revision);
            manifest = TelemetryManifest.ParseRegistered((string)(await cmd.ExecuteScalarAsync(cancellationToken))!);
            _manifests[(product, revision)] = manifest;
        }

        return manifest.Find(name) ?? throw new InvalidOperationException($"stored event '{name}' is not in revision {revision} of '{product}'");
    }

    // Interned strings never change, so they stay cached; the cache starts over when it grows large. The caller
    // gets its own map, so another call clearing the cache cannot take a value from under it.
    private async Task<Dictionary<int, string>> LoadStringsAsync(NpgsqlConnection connection, HashSet<int> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<int, string>();
        var missing = new List<int>();
        foreach (var id in ids)
        {
            if (_strings.TryGetValue(id, out var value))
            {
                found[id] = value;
            }
            else
            {
                missing.Add(id);
            }
        }

        if (missing.Count == 0)
        {
            return found;
        }

        if (_strings.Count > 200_000)
        {
            _strings.Clear();
        }

        await using var cmd = new NpgsqlCommand("SELECT id, value FROM strings WHERE id = ANY(@ids)", connection);
        cmd.Parameters.AddWithValue("ids", missing.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, value) = (reader.GetInt32(0), reader.GetString(1));
            found[id] = value;
            _strings[id] = value;
        }

        return found;
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

    // Milliseconds, as the SQLite store keeps times, so both stores give the same answers.
    private static DateTime Utc(DateTimeOffset time) => DateTime.UnixEpoch.AddMilliseconds(time.ToUnixTimeMilliseconds());

    private static DateTime Start(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

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
