using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Candor.Collector.Storage.Sqlite;

// The queries over the rollups. Every query reads one part of a day rollup (DayRollup) per event name and day and
// adds it up in a tally, distinct installs in bitsets: its cost follows days and values, not the per-install rows
// behind them. A filter on the context, and grouping by it, read the contexts part; everything else reads the
// whole day's totals or one property's part.
//
// A batch of queries (a dashboard page asks about thirty) is answered in one pass: each part of each day is read
// (or built) once and handed to every tally that wants it. The single query methods are batches of one, so the
// query API and the dashboard count with the same code. The pass is plain loops over a few non-generic tallies:
// a page computed right after a start runs all of it for the first time, and compiling many generic, async and
// LINQ methods then cost more than the counting.
internal sealed partial class SqliteEventStore
{
    public async Task<IReadOnlyList<PeriodCount>> CountEventsAsync(EventFilter filter, Interval interval, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.Events(filter, interval)], cancellationToken))[0].PeriodRows;

    public async Task<IReadOnlyList<GroupCount>> CountByPropertyAsync(EventFilter filter, string property, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.ByProperty(filter, property)], cancellationToken))[0].GroupRows;

    public async Task<IReadOnlyList<GroupCount>> CountByContextAsync(EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.ByContext(filter, dimension)], cancellationToken))[0].GroupRows;

    public async Task<IReadOnlyList<HistogramCount>> GetDurationHistogramAsync(EventFilter filter, string measurement, Interval interval, CancellationToken cancellationToken) =>
        (await CountAsync([RollupQuery.Histogram(filter, measurement, interval)], cancellationToken))[0].HistogramRows;

    // Queries of one product and range share one read snapshot and one pass; a batch is usually one such group.
    public async Task<IReadOnlyList<RollupAnswer>> CountAsync(IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        var answers = new RollupAnswer[queries.Count];
        var tallies = new Tally[queries.Count];
        var strings = new Strings(connection);
        var done = new bool[queries.Count];
        for (var first = 0; first < queries.Count; first++)
        {
            if (done[first])
            {
                continue;
            }

            var filter = queries[first].Filter;
            var fromDay = SqliteSchema.DayNumber(filter.From);
            var toDay = SqliteSchema.DayNumber(filter.To);
            var reads = new List<Read>();
            var matches = new List<ContextMatch>();
            var dimensions = new Dictionary<long, long>?[Enum.GetValues<ContextDimension>().Length];
            List<DayRollupRow> built;
            using (var snapshot = connection.BeginTransaction(deferred: true))
            {
                var product = Scalar(connection, "SELECT id FROM products WHERE name = $value", filter.Product);
                List<long>? everyName = null;
                for (var i = first; i < queries.Count; i++)
                {
                    var query = queries[i];
                    if (done[i] || query.Filter.Product != filter.Product || query.Filter.From != filter.From || query.Filter.To != filter.To)
                    {
                        continue;
                    }

                    done[i] = true;
                    var contexts = MatchingContexts(connection, query.Filter, matches, cancellationToken);
                    var tally = tallies[i] = query.Kind switch
                    {
                        RollupQueryKind.Events => new PeriodTally(query.Interval, query.Filter, contexts),
                        RollupQueryKind.ByProperty => new ValueTally(strings.Find(query.Field!), contexts),
                        RollupQueryKind.ByContext => new ContextTally(query.Dimension, ContextValues(connection, query.Dimension, dimensions, cancellationToken), contexts),
                        _ => new BucketTally(query.Interval, query.Filter, strings.Find(query.Field!), contexts),
                    };
                    if (product is not { } productId || !tally.Reads)
                    {
                        continue;
                    }

                    // Values and durations are kept under each event name; counts and contexts also under name 0,
                    // which counts every event of an install once.
                    var perName = query.Kind is RollupQueryKind.ByProperty or RollupQueryKind.Histogram;
                    var part = contexts is not null || query.Kind is RollupQueryKind.ByContext ? DayRollup.ContextsPart
                        : query.Kind is RollupQueryKind.ByProperty ? ((ValueTally)tally).Field
                        : DayRollup.TotalsPart;
                    if (query.Filter.Event is not null)
                    {
                        if (strings.Find(query.Filter.Event) is { } name)
                        {
                            Want(reads, name, part, tally);
                        }
                    }
                    else if (perName)
                    {
                        foreach (var name in everyName ??= EventNames(connection, productId))
                        {
                            Want(reads, name, part, tally);
                        }
                    }
                    else
                    {
                        Want(reads, SqliteSchema.AnyEvent, part, tally);
                    }
                }

                built = product is { } id ? VisitDays(connection, id, fromDay, toDay, reads, preparing: false, cancellationToken) : [];
                snapshot.Commit();
            }

            _ = Keep(built);
        }

        for (var i = 0; i < tallies.Length; i++)
        {
            tallies[i].Name(strings);
        }

        strings.LookUp(cancellationToken);
        for (var i = 0; i < tallies.Length; i++)
        {
            answers[i] = tallies[i].Answer(strings);
        }

        return answers;
    }

    // A month at a time, newest first (dashboards look at recent days), each in its own read snapshot, waiting
    // for the writer to keep one month before building the next.
    public async Task<long> PrepareDayRollupsAsync(string product, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var connection = await OpenFoldedReadAsync(cancellationToken);
        long built = 0;
        for (var end = to; end >= from; end = end.AddDays(-30))
        {
            var start = end.AddDays(-29) < from ? from : end.AddDays(-29);
            List<DayRollupRow> rows;
            using (var snapshot = connection.BeginTransaction(deferred: true))
            {
                if (Scalar(connection, "SELECT id FROM products WHERE name = $value", product) is not { } id)
                {
                    return built;
                }

                var reads = new List<Read> { new(SqliteSchema.AnyEvent, DayRollup.TotalsPart) };
                foreach (var name in EventNames(connection, id))
                {
                    reads.Add(new Read(name, DayRollup.TotalsPart));
                }

                rows = VisitDays(connection, id, SqliteSchema.DayNumber(start), SqliteSchema.DayNumber(end), reads, preparing: true, cancellationToken);
                snapshot.Commit();
            }

            await Keep(rows).WaitAsync(cancellationToken);
            foreach (var row in rows)
            {
                built += row.Part == DayRollup.ContextsPart ? 1 : 0;
            }
        }

        return built;
    }

    private static void Want(List<Read> reads, long name, long part, Tally tally)
    {
        foreach (var read in reads)
        {
            if (read.Name == name && read.Part == part)
            {
                read.Tallies.Add(tally);
                return;
            }
        }

        var added = new Read(name, part);
        added.Tallies.Add(tally);
        reads.Add(added);
    }

    // Hands each read's tallies its part of the day rollups of its event name (or of name 0, which counts every
    // event), day by day in ascending order, in the caller's read snapshot, so a day's version and its rollup rows
    // agree; a kept day rollup read lately comes from memory (see Kept). A day whose kept day rollup is missing or
    // older than the day's version is built from its per-install rows, once per name for every part the reads
    // want; a built day is returned for the writer to keep (the writer keeps it only if the day's version has not
    // moved since), unless it is one of the product's two newest days, which still change all the time: those are
    // held in memory per version instead (and skipped when preparing). A property field with no values that day has
    // no current part of its own: a current totals part says the day was built.
    private List<DayRollupRow> VisitDays(SqliteConnection connection, long product, long fromDay, long toDay, List<Read> reads, bool preparing, CancellationToken cancellationToken)
    {
        var versions = new List<(long Day, long Version)>();
        var current = new Dictionary<long, long>();
        Scan(
            connection,
            "SELECT day, version FROM day_versions WHERE product = $product AND day BETWEEN $from AND $to",
            cmd => DayRange(cmd, product, fromDay, toDay),
            row =>
            {
                versions.Add((row.Long(0), row.Long(1)));
                current[row.Long(0)] = row.Long(1);
            },
            cancellationToken);
        var newest = Scalar(connection, "SELECT MAX(day) FROM day_versions WHERE product = $value", product) ?? long.MaxValue;

        // Reads of one name follow each other, so a day built for one of its parts serves the others.
        reads.Sort(static (a, b) => a.Name.CompareTo(b.Name));
        var built = new List<DayRollupRow>();
        var builtDays = new Dictionary<long, List<(long Part, byte[] Data)>>();
        for (var r = 0; r < reads.Count; r++)
        {
            var (name, part) = (reads[r].Name, reads[r].Part);
            if (r > 0 && reads[r - 1].Name != name)
            {
                builtDays.Clear();
            }

            var kept = new Dictionary<long, (long Version, byte[]? Data)>();
            Scan(
                connection,
                """
                SELECT day, version, data FROM day_rollups
                WHERE product = $product AND name = $name AND part = $part AND day BETWEEN $from AND $to
                """,
                cmd => Parameters(cmd, part),
                row =>
                {
                    // Only a current day rollup is read, and only when it is not held already: the blob is
                    // read from the file (its overflow pages) only when its column is asked for.
                    var (day, version) = (row.Long(0), row.Long(1));
                    if (current.GetValueOrDefault(day) == version)
                    {
                        kept[day] = (version, Kept(product, name, part, day, version, row));
                    }
                },
                cancellationToken);
            if (part > 0)
            {
                Scan(
                    connection,
                    """
                    SELECT day, version FROM day_rollups
                    WHERE product = $product AND name = $name AND part = $part AND day BETWEEN $from AND $to
                    """,
                    cmd => Parameters(cmd, DayRollup.TotalsPart),
                    row => kept.TryAdd(row.Long(0), (row.Long(1), null)),
                    cancellationToken);
            }

            var tallies = reads[r].Tallies;
            foreach (var (day, version) in versions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                byte[]? data;
                if (kept.TryGetValue(day, out var rollup) && rollup.Version == version)
                {
                    data = rollup.Data;
                }
                else if (day >= newest - 1)
                {
                    // Preparing keeps days; these are not kept, and the next commit would change them anyway.
                    if (preparing)
                    {
                        continue;
                    }

                    data = Recent(connection, product, name, part, day, version, cancellationToken);
                }
                else
                {
                    if (!builtDays.TryGetValue(day, out var parts))
                    {
                        builtDays[day] = parts = BuildDay(connection, product, name, day, new DayRollup.Builder(), cancellationToken);
                        foreach (var (builtPart, builtData) in parts)
                        {
                            built.Add(new DayRollupRow(product, name, builtPart, day, version, builtData));
                        }
                    }

                    data = Find(parts, part);
                }

                foreach (var tally in tallies)
                {
                    tally.Add(day, data);
                }
            }

            void Parameters(SqliteCommand cmd, long which)
            {
                DayRange(cmd, product, fromDay, toDay);
                cmd.Parameters.AddWithValue("$name", name);
                cmd.Parameters.AddWithValue("$part", which);
            }
        }

        return built;

        static void DayRange(SqliteCommand cmd, long product, long from, long to)
        {
            cmd.Parameters.AddWithValue("$product", product);
            cmd.Parameters.AddWithValue("$from", from);
            cmd.Parameters.AddWithValue("$to", to);
        }
    }

    // Keeping them is an optimisation: a query that cannot hand them over (the store is closing) or whose writer
    // fails to keep them has its answer already, and the next query builds them again.
    private Task Keep(List<DayRollupRow> built)
    {
        if (built.Count == 0)
        {
            return Task.CompletedTask;
        }

        var keeping = Enqueue(0, w => w.KeepDayRollups(built));
        _ = keeping.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return keeping;
    }

    private static byte[]? Find(List<(long Part, byte[] Data)> parts, long part)
    {
        foreach (var (p, data) in parts)
        {
            if (p == part)
            {
                return data;
            }
        }

        return null;
    }

    // A kept day rollup as the file holds it for this version of the day, from memory when a query read it lately.
    // Pages of one product read the same parts again (and the default page is computed again every few minutes).
    // The version says whether it is still current: a late event or a deletion gives the day a new one. The held
    // parts are forgotten all at once when they reach MaxHeldBytes.
    private byte[] Kept(long product, long name, long part, long day, long version, Row row)
    {
        var key = new HeldKey(product, name, part, day);
        if (_held.TryGetValue(key, out var held) && held.Version == version)
        {
            return held.Data;
        }

        var data = row.Summary(2).ToArray();
        if (Interlocked.Add(ref _heldBytes, data.Length) > MaxHeldBytes)
        {
            _held.Clear();
            Interlocked.Exchange(ref _heldBytes, data.Length);
        }

        _held[key] = new HeldPart(version, data);
        return data;
    }

    // A part of one of the product's two newest days, which are not kept in the file: built for this version of
    // the day and held in memory, so that the pages and queries that read the same days while no commit touches
    // them build each once. One scan of the day's rows builds either every part but the contexts (what unfiltered
    // queries read) or the contexts part (what filtered and grouping queries read); queries that need a day being
    // built wait for it rather than build it again. A query whose snapshot is older than the day held builds its
    // own and holds nothing.
    private byte[]? Recent(SqliteConnection connection, long product, long name, long part, long day, long version, CancellationToken cancellationToken)
    {
        var contexts = part == DayRollup.ContextsPart;
        var key = new RecentKey(product, name, day, contexts);
        var mine = new RecentDay(version, new Lazy<List<(long Part, byte[] Data)>>(() => Build()));
        if (_recent.Count >= MaxRecentDays && !_recent.ContainsKey(key))
        {
            _recent.Clear();
        }

        var held = _recent.AddOrUpdate(key, mine, (_, current) => current.Version >= version ? current : mine);
        if (held.Version != version)
        {
            return Find(Build(), part);
        }

        try
        {
            return Find(held.Parts.Value, part);
        }
        catch (Exception) when (!ReferenceEquals(held, mine))
        {
            // Another query's build failed (it was cancelled, or its connection closed): build it here instead.
            _recent.TryRemove(KeyValuePair.Create(key, held));
            return Find(Build(), part);
        }
        catch (Exception)
        {
            _recent.TryRemove(KeyValuePair.Create(key, held));
            throw;
        }

        List<(long Part, byte[] Data)> Build() =>
            BuildDay(connection, product, name, day, contexts ? new DayRollup.Builder(DayRollup.ContextsPart) : DayRollup.Builder.WithoutContexts(), cancellationToken);
    }

    // One name's per-install rollup rows of one day, in key order (context, then install), as every part or one.
    private static List<(long Part, byte[] Data)> BuildDay(SqliteConnection connection, long product, long name, long day, DayRollup.Builder builder, CancellationToken cancellationToken)
    {
        Scan(
            connection,
            "SELECT context, install, n, summary FROM rollups WHERE product = $product AND name = $name AND day = $day",
            cmd =>
            {
                cmd.Parameters.AddWithValue("$product", product);
                cmd.Parameters.AddWithValue("$name", name);
                cmd.Parameters.AddWithValue("$day", day);
            },
            row => builder.Add(row.Long(0), row.Long(1), row.Long(2), row.Summary(3)),
            cancellationToken);
        return builder.BuildParts();
    }

    // The contexts the filter's version, OS and CI conditions select (null when it has none), looked up once per
    // batch for each combination its queries use.
    private static HashSet<long>? MatchingContexts(SqliteConnection connection, EventFilter filter, List<ContextMatch> matches, CancellationToken cancellationToken)
    {
        if (ContextConditions(filter) is not { } conditions)
        {
            return null;
        }

        foreach (var match in matches)
        {
            if (match.Version == filter.Version && match.Os == filter.Os && match.Ci == filter.Ci)
            {
                return match.Contexts;
            }
        }

        var contexts = new HashSet<long>();
        Scan(
            connection,
            $"SELECT id FROM contexts WHERE {conditions}",
            cmd =>
            {
                if (filter.Version is not null)
                {
                    cmd.Parameters.AddWithValue("$version", filter.Version);
                }

                if (filter.Os is not null)
                {
                    cmd.Parameters.AddWithValue("$os", filter.Os);
                }
            },
            row => contexts.Add(row.Long(0)),
            cancellationToken);
        matches.Add(new ContextMatch(filter.Version, filter.Os, filter.Ci, contexts));
        return contexts;
    }

    // Each context's value of one dimension: interned dimensions by their string ID (named afterwards), the
    // container flag as 1 and 0 (named "true" and "false").
    private static Dictionary<long, long> ContextValues(SqliteConnection connection, ContextDimension dimension, Dictionary<long, long>?[] known, CancellationToken cancellationToken)
    {
        if (known[(int)dimension] is { } values)
        {
            return values;
        }

        var column = dimension switch
        {
            ContextDimension.Version => "version",
            ContextDimension.Os => "os",
            ContextDimension.Runtime => "runtime",
            ContextDimension.Country => "country",
            ContextDimension.Ci => "ci",
            ContextDimension.Container => $"(flags & {SqliteSchema.ContainerFlag}) <> 0",
            _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
        };
        var found = known[(int)dimension] = [];
        Scan(connection, $"SELECT id, {column} FROM contexts", _ => { }, row => found[row.Long(0)] = row.Long(1), cancellationToken);
        return found;
    }

    private static long? Scalar(SqliteConnection connection, string sql, object value)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$value", value);
        return cmd.ExecuteScalar() as long?;
    }

    // The product's event names that have rollup rows, one B-tree seek each: SELECT DISTINCT would read every row.
    private static List<long> EventNames(SqliteConnection connection, long product)
    {
        var names = new List<long>();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT MIN(name) FROM rollups WHERE product = $product AND name > $after";
        cmd.Parameters.AddWithValue("$product", product);
        var after = cmd.Parameters.AddWithValue("$after", SqliteSchema.AnyEvent);
        while (cmd.ExecuteScalar() is long name)
        {
            names.Add(name);
            after.Value = name;
        }

        return names;
    }

    // Steps a query itself and hands each row to the visitor, which reads the columns in place. These loops run
    // once per rollup row, hundreds of thousands of times for a month of a busy product; the ADO.NET reader
    // copies every blob and checks every column for NULL first, which cost more than SQLite's own work.
    private static void Scan(SqliteConnection connection, string sql, Action<SqliteCommand> parameters, RowVisitor visit, CancellationToken cancellationToken)
    {
        using var cmd = connection.CreateCommand();
        parameters(cmd);
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement), connection);
        using (statement)
        {
            foreach (SqliteParameter parameter in cmd.Parameters)
            {
                var index = raw.sqlite3_bind_parameter_index(statement, parameter.ParameterName);
                Check(parameter.Value switch
                {
                    string text => raw.sqlite3_bind_text(statement, index, text),
                    var number => raw.sqlite3_bind_int64(statement, index, Convert.ToInt64(number, CultureInfo.InvariantCulture)),
                }, connection);
            }

            int step;
            var rows = 0;
            while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                if (++rows % 4096 == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                visit(new Row(statement));
            }

            Check(step == raw.SQLITE_DONE ? raw.SQLITE_OK : step, connection);
        }

        static void Check(int code, SqliteConnection connection)
        {
            if (code != raw.SQLITE_OK)
            {
                throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), code);
            }
        }
    }

    // Days since 1970-01-01 (a Thursday); weeks start on Monday, months are numbered yyyymm.
    private static long PeriodOf(long day, Interval interval) => interval switch
    {
        Interval.Day => day,
        Interval.Week => day - ((day + 3) % 7),
        Interval.Month => SqliteSchema.DateOf(day) is var date ? (date.Year * 100L) + date.Month : 0,
        _ => 0,
    };

    private static DateOnly PeriodStart(long period, Interval interval, EventFilter filter) => interval switch
    {
        Interval.Day or Interval.Week => SqliteSchema.DateOf(period),
        Interval.Month => new DateOnly((int)(period / 100), (int)(period % 100), 1),
        _ => filter.From,
    };

    // Most events first, then by value, as every grouping query answers.
    private static int ByEventsThenValue(GroupCount a, GroupCount b) =>
        a.Events != b.Events ? b.Events.CompareTo(a.Events) : string.CompareOrdinal(a.Value, b.Value);

    private delegate void RowVisitor(Row row);

    private sealed record DayRollupRow(long Product, long Name, long Part, long Day, long Version, byte[] Data);

    // The keys of the parts held in memory are classes rather than tuples, and the held part too: a dictionary
    // over reference types runs code already compiled for others, where each tuple type needs its own.

    /// <summary>One of the two newest days of one event name, as every part but the contexts or as the contexts part.</summary>
    private sealed record RecentKey(long Product, long Name, long Day, bool Contexts);

    /// <summary>The parts of one of the two newest days, built (or being built) for one version of the day.</summary>
    private sealed record RecentDay(long Version, Lazy<List<(long Part, byte[] Data)>> Parts);

    /// <summary>One kept part of one event name and day.</summary>
    private sealed record HeldKey(long Product, long Name, long Part, long Day);

    /// <summary>A kept part read lately, and the version of its day it was kept for.</summary>
    private sealed record HeldPart(long Version, byte[] Data);

    /// <summary>The contexts that one combination of version, OS and CI filters selects.</summary>
    private sealed record ContextMatch(string? Version, string? Os, bool? Ci, HashSet<long> Contexts);

    /// <summary>One part of one event name's day rollups, and the tallies of a batch that read it.</summary>
    private sealed class Read(long name, long part)
    {
        public long Name { get; } = name;

        public long Part { get; } = part;

        public List<Tally> Tallies { get; } = [];
    }

    /// <summary>The current row of a stepped statement; valid only inside the visitor.</summary>
    private readonly ref struct Row(sqlite3_stmt statement)
    {
        private readonly sqlite3_stmt _statement = statement;

        public long Long(int column) => raw.sqlite3_column_int64(_statement, column);

        public ReadOnlySpan<byte> Summary(int column) => raw.sqlite3_column_blob(_statement, column);

        public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();
    }

    /// <summary>
    /// Events and the distinct installs they came from, for one group of a query, and the bound on one install's
    /// events (<see cref="PeriodCount.Heaviest"/>): per day rollup part read (one event name and day) the largest
    /// top among the entries added from it, summed over the parts.
    /// </summary>
    private sealed class Group
    {
        private long _part = -1;
        private long _partTop;
        private long _tops;

        public long Events { get; private set; }

        public InstallSet Installs { get; } = new();

        public long Heaviest => _tops + _partTop;

        /// <summary>Adds one entry of the part numbered <paramref name="part"/> (each part read has its own number).</summary>
        public void Add(long events, long top, ReadOnlySpan<byte> installs, long part)
        {
            Events += events;
            if (part != _part)
            {
                _tops += _partTop;
                _partTop = 0;
                _part = part;
            }

            _partTop = Math.Max(_partTop, top);
            DayRollup.AddInstalls(installs, Installs);
        }

        public static Group Of(Dictionary<long, Group> groups, long key)
        {
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = new Group();
            }

            return group;
        }
    }

    /// <summary>String IDs looked up by value as asked, and values by ID all at once at the end.</summary>
    private sealed class Strings(SqliteConnection connection)
    {
        // -1: no such string (IDs are row IDs, never negative).
        private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal);
        private readonly Dictionary<long, string> _values = [];

        public long? Find(string value)
        {
            if (!_ids.TryGetValue(value, out var id))
            {
                _ids[value] = id = Scalar(connection, "SELECT id FROM strings WHERE value = $value", value) ?? -1;
            }

            return id < 0 ? null : id;
        }

        /// <summary>Asks for the value of an ID, which <see cref="LookUp"/> then reads.</summary>
        public void Want(long id) => _values.TryAdd(id, "");

        public void LookUp(CancellationToken cancellationToken)
        {
            if (_values.Count == 0)
            {
                return;
            }

            var ids = new System.Text.StringBuilder("[");
            foreach (var id in _values.Keys)
            {
                ids.Append(ids.Length > 1 ? "," : "").Append(id.ToString(CultureInfo.InvariantCulture));
            }

            Scan(
                connection,
                "SELECT id, value FROM strings WHERE id IN (SELECT value FROM json_each($ids))",
                cmd => cmd.Parameters.AddWithValue("$ids", ids.Append(']').ToString()),
                row => _values[row.Long(0)] = row.Text(1),
                cancellationToken);
        }

        public string Value(long id) => _values.GetValueOrDefault(id, "");
    }

    /// <summary>What one query of a batch adds up as the pass hands it day rollup parts.</summary>
    private abstract class Tally(HashSet<long>? contexts)
    {
        /// <summary>The contexts the query's filter selects; <see langword="null"/> reads whole days.</summary>
        protected HashSet<long>? Contexts { get; } = contexts;

        /// <summary>Whether the query reads anything (a property nobody sent has no ID and no values).</summary>
        public virtual bool Reads => true;

        /// <summary>How many parts <see cref="Add"/> was handed: the number of the part being added.</summary>
        protected long Part { get; private set; }

        /// <summary>Adds one day's part: the totals part, a property's part or the contexts part, as the query asked.</summary>
        public void Add(long day, ReadOnlySpan<byte> data)
        {
            Part++;
            AddPart(day, data);
        }

        /// <inheritdoc cref="Add"/>
        protected abstract void AddPart(long day, ReadOnlySpan<byte> data);

        /// <summary>Asks <paramref name="strings"/> for the value of every ID the answer names.</summary>
        public virtual void Name(Strings strings)
        {
        }

        public abstract RollupAnswer Answer(Strings strings);

        protected static List<GroupCount> Named(Dictionary<long, Group> groups, Strings strings)
        {
            var rows = new List<GroupCount>(groups.Count);
            foreach (var (id, group) in groups)
            {
                rows.Add(new GroupCount(strings.Value(id), group.Events, group.Installs.Count, group.Installs.Fingerprint, group.Heaviest));
            }

            rows.Sort(ByEventsThenValue);
            return rows;
        }

        protected static void Want(Dictionary<long, Group> groups, Strings strings)
        {
            foreach (var id in groups.Keys)
            {
                strings.Want(id);
            }
        }
    }

    /// <summary><see cref="RollupQueryKind.Events"/>. A day with events of other names only has an empty day rollup for this one: it makes no period.</summary>
    private sealed class PeriodTally(Interval interval, EventFilter filter, HashSet<long>? contexts) : Tally(contexts)
    {
        private readonly Dictionary<long, Group> _periods = [];

        protected override void AddPart(long day, ReadOnlySpan<byte> data)
        {
            if (Contexts is null)
            {
                var totals = new DayRollup.Totals(data);
                if (totals.Events > 0)
                {
                    Group.Of(_periods, PeriodOf(day, interval)).Add(totals.Events, totals.Top, totals.Installs, Part);
                }

                return;
            }

            var reader = new DayRollup.Reader(data);
            while (reader.MoveNext())
            {
                if (Contexts.Contains(reader.Context))
                {
                    Group.Of(_periods, PeriodOf(day, interval)).Add(reader.Events, reader.Top, reader.Installs, Part);
                }
            }
        }

        public override RollupAnswer Answer(Strings strings)
        {
            var periods = new long[_periods.Count];
            _periods.Keys.CopyTo(periods, 0);
            Array.Sort(periods);
            var rows = new PeriodCount[periods.Length];
            for (var i = 0; i < periods.Length; i++)
            {
                var group = _periods[periods[i]];
                rows[i] = new PeriodCount(PeriodStart(periods[i], interval, filter), group.Events, group.Installs.Count, group.Installs.Fingerprint, group.Heaviest);
            }

            return new RollupAnswer(Periods: rows);
        }
    }

    /// <summary>
    /// <see cref="RollupQueryKind.ByProperty"/>. Each value keeps its own install set in the day rollup, so the
    /// count of distinct installs per value stays exact over any range.
    /// </summary>
    private sealed class ValueTally(long? property, HashSet<long>? contexts) : Tally(contexts)
    {
        private readonly Dictionary<long, Group> _values = [];

        public long Field { get; } = property ?? 0;

        public override bool Reads => property is not null;

        protected override void AddPart(long day, ReadOnlySpan<byte> data)
        {
            if (Contexts is null)
            {
                AddValues(new DayRollup.ValueEnumerator(data, Field));
                return;
            }

            var reader = new DayRollup.Reader(data);
            while (reader.MoveNext())
            {
                if (Contexts.Contains(reader.Context))
                {
                    AddValues(reader.Values(Field));
                }
            }
        }

        public override void Name(Strings strings) => Want(_values, strings);

        public override RollupAnswer Answer(Strings strings) => new(Groups: Named(_values, strings));

        private void AddValues(DayRollup.ValueEnumerator values)
        {
            while (values.MoveNext())
            {
                Group.Of(_values, values.Value).Add(values.Events, values.Top, values.Installs, Part);
            }
        }
    }

    /// <summary><see cref="RollupQueryKind.ByContext"/>: every context's events and installs, grouped by its value of the dimension.</summary>
    private sealed class ContextTally(ContextDimension dimension, Dictionary<long, long> values, HashSet<long>? contexts) : Tally(contexts)
    {
        private readonly Dictionary<long, Group> _groups = [];

        protected override void AddPart(long day, ReadOnlySpan<byte> data)
        {
            var reader = new DayRollup.Reader(data);
            while (reader.MoveNext())
            {
                if (Contexts is null || Contexts.Contains(reader.Context))
                {
                    Group.Of(_groups, values.GetValueOrDefault(reader.Context)).Add(reader.Events, reader.Top, reader.Installs, Part);
                }
            }
        }

        public override void Name(Strings strings)
        {
            if (dimension is not ContextDimension.Container)
            {
                Want(_groups, strings);
            }
        }

        public override RollupAnswer Answer(Strings strings)
        {
            if (dimension is not ContextDimension.Container)
            {
                return new RollupAnswer(Groups: Named(_groups, strings));
            }

            var rows = new List<GroupCount>(_groups.Count);
            foreach (var (flag, group) in _groups)
            {
                rows.Add(new GroupCount(flag != 0 ? "true" : "false", group.Events, group.Installs.Count, group.Installs.Fingerprint, group.Heaviest));
            }

            rows.Sort(ByEventsThenValue);
            return new RollupAnswer(Groups: rows);
        }
    }

    /// <summary><see cref="RollupQueryKind.Histogram"/>: one measurement's bucket counts per period.</summary>
    private sealed class BucketTally(Interval interval, EventFilter filter, long? measurement, HashSet<long>? contexts) : Tally(contexts)
    {
        private readonly Dictionary<long, Dictionary<long, long>> _periods = [];
        private readonly long _field = measurement ?? 0;

        public override bool Reads => measurement is not null;

        protected override void AddPart(long day, ReadOnlySpan<byte> data)
        {
            var period = PeriodOf(day, interval);
            if (Contexts is null)
            {
                AddBuckets(period, new DayRollup.Totals(data).Buckets(_field));
                return;
            }

            var reader = new DayRollup.Reader(data);
            while (reader.MoveNext())
            {
                if (Contexts.Contains(reader.Context))
                {
                    AddBuckets(period, reader.Buckets(_field));
                }
            }
        }

        public override RollupAnswer Answer(Strings strings)
        {
            var rows = new List<HistogramCount>();
            var periods = new long[_periods.Count];
            _periods.Keys.CopyTo(periods, 0);
            Array.Sort(periods);
            foreach (var period in periods)
            {
                var counts = _periods[period];
                var buckets = new long[counts.Count];
                counts.Keys.CopyTo(buckets, 0);
                Array.Sort(buckets);
                foreach (var bucket in buckets)
                {
                    rows.Add(new HistogramCount(PeriodStart(period, interval, filter), (int)bucket, counts[bucket]));
                }
            }

            return new RollupAnswer(Histogram: rows);
        }

        private void AddBuckets(long period, DayRollup.BucketEnumerator buckets)
        {
            while (buckets.MoveNext())
            {
                if (!_periods.TryGetValue(period, out var counts))
                {
                    _periods[period] = counts = [];
                }

                counts[buckets.Bucket] = counts.GetValueOrDefault(buckets.Bucket) + buckets.Events;
            }
        }
    }
}
