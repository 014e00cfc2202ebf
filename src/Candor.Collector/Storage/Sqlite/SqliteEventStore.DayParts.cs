using System.Collections.Concurrent;
using System.Globalization;
using Candor.Collector.Storage.DayRollups;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Candor.Collector.Storage.Sqlite;

// Where the queries get the day rollup parts they add up: kept in the file, held in memory, or built from the
// per-install rollup rows; and the stepping of those rows without the ADO.NET reader.
internal sealed partial class SqliteEventStore
{
    // Hands each read's tallies its part of the day rollups of its event name (or of name 0, which counts every
    // event), day by day in ascending order, in the caller's read snapshot, so a day's version and its rollup rows
    // agree; a kept day rollup read lately comes from memory (see Kept). A day whose kept day rollup is missing or
    // older than the day's version is built from its per-install rows, once per name for every part the reads
    // want; a built day is returned for the writer to keep (the writer keeps it only if the day's version has not
    // moved since), unless it is one of the product's two newest days, which still change all the time: those are
    // held in memory per version instead (and skipped when preparing). A property field with no values that day has
    // no current part of its own: a current totals part says the day was built.
    private List<DayRollupRow> VisitDays(SqliteConnection connection, long product, long fromDay, long toDay, List<RollupRead> reads, bool preparing, CancellationToken cancellationToken)
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

    private delegate void RowVisitor(Row row);

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

    /// <summary>The current row of a stepped statement; valid only inside the visitor.</summary>
    private readonly ref struct Row(sqlite3_stmt statement)
    {
        private readonly sqlite3_stmt _statement = statement;

        public long Long(int column) => raw.sqlite3_column_int64(_statement, column);

        public ReadOnlySpan<byte> Summary(int column) => raw.sqlite3_column_blob(_statement, column);

        public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();
    }
}
