using System.Collections.Concurrent;
using Candor.Collector.Storage.DayRollups;
using Npgsql;
using NpgsqlTypes;

namespace Candor.Collector.Storage.Postgres;

// Where the queries get the day rollup parts they add up: kept in the database, held in memory, or built from the
// per-install rollup rows.
internal sealed partial class PostgresEventStore
{
    // Kept parts read lately, per version of their day: pages of one product read the same parts again, and a
    // context part of a busy day is a few hundred kilobytes to send. Forgotten all at once past MaxHeldBytes.
    private const long MaxHeldBytes = 64L << 20;

    private readonly ConcurrentDictionary<(int Product, long Name, long Part, DateOnly Day), (long Version, byte[] Data)> _held = new();

    // Parts of days not kept, built for a query (see VisitDaysAsync) and added to by this collector's commits.
    private readonly PostgresRecentDays _recent = new();

    /// <summary>The parts of the newest days this collector holds (for tests).</summary>
    internal PostgresRecentDays RecentDays => _recent;
    private readonly PostgresContextCache _contexts = new();
    private readonly ConcurrentDictionary<(int Product, int Revision), string[]> _eventNames = new();
    private long _heldBytes;

    // Hands each read's tallies its part of every day of the range, in ascending order. A day counts as built when
    // it is settled and its name-0 totals part is kept at the day's current version: then every part kept at that
    // version is current, and a part not kept had nothing that day. Today and yesterday (by the database's clock)
    // change all the time, so when they are not built only the parts the reads want are built from their rows,
    // once per name and kind (contexts, or the rest), and held in memory for the day's version and stamp, which
    // say whether any collector changed the day since (PostgresDayVersions.DaysSql); they are kept in the database
    // by the preparation once settled. Older days not built are built whole from their rows (on the database, not
    // a replica) and kept.
    private async Task VisitDaysAsync(NpgsqlConnection connection, int product, DateOnly from, DateOnly to, List<RollupRead> reads, CancellationToken cancellationToken)
    {
        var wanted = reads.Select(r => (r.Name, r.Part)).Append((RollupRead.AnyEvent, DayRollup.TotalsPart)).Distinct().ToList();
        var state = await ReadDayStateAsync(connection, product, from, to, wanted, cancellationToken);
        var parts = new Dictionary<(long Name, long Part, DateOnly Day), byte[]>();
        var fetch = new List<(DateOnly Day, long Name, long Part, long Version)>();
        var build = new SortedSet<DateOnly>();
        var recent = new Dictionary<DateOnly, Dictionary<long, PartKinds>>();
        foreach (var day in state.Days)
        {
            if (!state.IsBuilt(day.Day))
            {
                if (day.Settled && day.Day < state.Today.AddDays(-1))
                {
                    build.Add(day.Day);
                }
                else
                {
                    FindRecent(product, day, reads, parts, recent);
                }

                continue;
            }

            foreach (var read in reads)
            {
                if (state.Kept.GetValueOrDefault((read.Name, read.Part, day.Day), -1) != day.Version)
                {
                    continue;
                }

                if (_held.TryGetValue((product, read.Name, read.Part, day.Day), out var held) && held.Version == day.Version)
                {
                    parts[(read.Name, read.Part, day.Day)] = held.Data;
                }
                else
                {
                    fetch.Add((day.Day, read.Name, read.Part, day.Version));
                }
            }
        }

        if (fetch.Count > 0)
        {
            await using var read = new NpgsqlCommand("""
                SELECT r.day, r.name, r.part, r.version, r.data
                FROM unnest(@day, @name, @part, @version) AS u(day, name, part, version)
                JOIN day_rollups r ON r.product = @product AND r.day = u.day AND r.name = u.name AND r.part = u.part AND r.version = u.version
                """, connection);
            read.Parameters.AddWithValue("product", product);
            read.Parameters.Add(new NpgsqlParameter("day", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = fetch.Select(f => f.Day).ToArray() });
            read.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = fetch.Select(f => (int)f.Name).ToArray() });
            read.Parameters.Add(new NpgsqlParameter("part", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = fetch.Select(f => f.Part).ToArray() });
            read.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = fetch.Select(f => f.Version).ToArray() });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var (day, name, part, version, data) = (reader.GetFieldValue<DateOnly>(0), (long)reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetFieldValue<byte[]>(4));
                parts[(name, part, day)] = data;
                Hold(product, name, part, day, version, data);
            }

            // A part replaced since its version was read (its day changed meanwhile) is built with the day instead.
            foreach (var (day, name, part, _) in fetch)
            {
                if (!parts.ContainsKey((name, part, day)))
                {
                    build.Add(day);
                }
            }
        }

        await BuildRecentAsync(product, recent, parts, cancellationToken);
        foreach (var chunk in build.Chunk(PostgresDayRollups.DaysPerBuild))
        {
            var built = await PostgresDayRollups.BuildAsync(_readSource, _dataSource, product, chunk, null, cancellationToken);
            foreach (var day in built)
            {
                foreach (var (name, part, data) in day.Parts)
                {
                    parts[(name, part, day.Day)] = data;
                    if (day.Settled && !day.Empty)
                    {
                        Hold(product, name, part, day.Day, day.Version, data);
                    }
                }
            }

            await PostgresDayRollups.KeepAsync(_dataSource, _partitions, product, built, cancellationToken);
        }

        // Reads of one name follow each other, and each tally takes its days in ascending order.
        reads.Sort(static (a, b) => a.Name.CompareTo(b.Name));
        foreach (var read in reads)
        {
            foreach (var day in state.Days)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var data = parts.GetValueOrDefault((read.Name, read.Part, day.Day));
                var number = RollupPeriods.DayNumber(day.Day);
                foreach (var tally in read.Tallies)
                {
                    tally.Add(number, data);
                }
            }
        }
    }

    // The reads' parts of a day not kept, from memory when held for the day's version and stamp; else the names
    // and kinds to build are added to what the day needs.
    private void FindRecent(int product, DayState.DayRow day, List<RollupRead> reads, Dictionary<(long Name, long Part, DateOnly Day), byte[]> parts, Dictionary<DateOnly, Dictionary<long, PartKinds>> recent)
    {
        foreach (var read in reads)
        {
            if (_recent.TryFind(product, day.Day, day.Version, day.Stamp, read.Name, read.Part, out var data))
            {
                if (data is not null)
                {
                    parts[(read.Name, read.Part, day.Day)] = data;
                }

                continue;
            }

            if (!recent.TryGetValue(day.Day, out var names))
            {
                recent[day.Day] = names = [];
            }

            names[read.Name] = names.GetValueOrDefault(read.Name) | KindOf(read.Part);
        }
    }

    // Builds what the days not kept need, all in one snapshot, and holds each name's builders of each kind for the
    // version and stamp the day had in that snapshot (a name without rows that day holds no parts, which says so).
    private async Task BuildRecentAsync(int product, Dictionary<DateOnly, Dictionary<long, PartKinds>> recent, Dictionary<(long Name, long Part, DateOnly Day), byte[]> parts, CancellationToken cancellationToken)
    {
        if (recent.Count == 0)
        {
            return;
        }

        var only = new Dictionary<long, PartKinds>();
        foreach (var names in recent.Values)
        {
            foreach (var (name, kind) in names)
            {
                only[name] = only.GetValueOrDefault(name) | kind;
            }
        }

        var ticket = _recent.BeginBuild();
        try
        {
            var built = await PostgresDayRollups.BuildAsync(_readSource, _dataSource, product, [.. recent.Keys.Order()], only, cancellationToken);
            foreach (var day in built)
            {
                foreach (var (name, part, data) in day.Parts)
                {
                    parts[(name, part, day.Day)] = data;
                }

                _recent.Hold(ticket, product, day, only);
            }
        }
        finally
        {
            _recent.EndBuild();
        }
    }

    private static PartKinds KindOf(long part) => part == DayRollup.ContextsPart ? PartKinds.Contexts : PartKinds.Rest;

    // Every day of the range with its version, whether it is settled and its stamp, and the versions of the kept
    // parts asked for, in one round trip.
    private static async Task<DayState> ReadDayStateAsync(
        NpgsqlConnection connection, int product, DateOnly from, DateOnly to, List<(long Name, long Part)> wanted, CancellationToken cancellationToken)
    {
        var days = new DateOnly[Math.Max(0, to.DayNumber - from.DayNumber + 1)];
        for (var i = 0; i < days.Length; i++)
        {
            days[i] = from.AddDays(i);
        }

        var state = new DayState();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new(PostgresDayVersions.DaysSql),
                new("""
                    SELECT r.day, r.name, r.part, r.version FROM day_rollups r
                    WHERE r.product = @product AND r.day BETWEEN @from AND @to
                      AND (r.name, r.part) IN (SELECT * FROM unnest(@names, @parts))
                    """),
            },
        };
        foreach (NpgsqlBatchCommand command in batch.BatchCommands)
        {
            command.Parameters.AddWithValue("product", product);
            command.Parameters.Add(new NpgsqlParameter("days", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = days });
            command.Parameters.AddWithValue("from", from);
            command.Parameters.AddWithValue("to", to);
            command.Parameters.Add(new NpgsqlParameter("names", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = wanted.Select(w => (int)w.Name).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("parts", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = wanted.Select(w => w.Part).ToArray() });
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            state.Days.Add(new DayState.DayRow(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetInt64(3)));
            state.Today = reader.GetFieldValue<DateOnly>(4);
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            state.Kept[(reader.GetInt32(1), reader.GetInt64(2), reader.GetFieldValue<DateOnly>(0))] = reader.GetInt64(3);
        }

        return state;
    }

    private void Hold(int product, long name, long part, DateOnly day, long version, byte[] data)
    {
        if (Interlocked.Add(ref _heldBytes, data.Length) > MaxHeldBytes)
        {
            _held.Clear();
            Interlocked.Exchange(ref _heldBytes, data.Length);
        }

        _held[(product, name, part, day)] = (version, data);
    }

    /// <summary>The days of a range, and the kept parts' versions by (name, part, day).</summary>
    private sealed class DayState
    {
        public List<DayRow> Days { get; } = [];

        /// <summary>The database's current UTC day.</summary>
        public DateOnly Today { get; set; }

        public Dictionary<(long Name, long Part, DateOnly Day), long> Kept { get; } = [];

        /// <summary>Whether the day is kept whole at its current version (see VisitDaysAsync).</summary>
        public bool IsBuilt(DateOnly day)
        {
            foreach (var d in Days)
            {
                if (d.Day == day)
                {
                    return d.Settled && Kept.GetValueOrDefault((RollupRead.AnyEvent, DayRollup.TotalsPart, day), -1) == d.Version;
                }
            }

            return false;
        }

        /// <summary>One day of the range as <see cref="PostgresDayVersions.DaysSql"/> gives it.</summary>
        public readonly record struct DayRow(DateOnly Day, long Version, bool Settled, long Stamp);
    }
}
