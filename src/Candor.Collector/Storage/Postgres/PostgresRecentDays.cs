using Candor.Collector.Storage.DayRollups;

namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// The parts of the newest two days (not kept in the database while they change) that this collector built for its
/// queries, held in memory as the builders that made them, for the day's version and stamp in the snapshot they
/// were built in (<see cref="PostgresDayVersions.DaysSql"/>). This collector's own commits are folded in as they
/// commit (the writer knows what it just added: <see cref="PostgresCommitRows"/>), raising the stamp by the events
/// stored, so a page after a new event reads no rows again; an event another collector stored, or a deletion,
/// still shows as a stamp or version the held day does not have, and the day is built again.
/// <para>
/// A commit is folded only into what was built in a snapshot that does not see it (<see cref="XidSnapshot"/>, by
/// the commit's transaction ID): a commit that ends while a build runs may or may not be in the build's snapshot.
/// Commits that end while builds run are kept until the builds are held, and those a build's snapshot does not
/// see are folded into it before it is held. A commit that failed (it may or may not have happened) lets the days
/// it touched go, and the builds under way hold nothing.
/// </para>
/// </summary>
// One lock for everything: the folds, holds and lookups each take microseconds to a few milliseconds (a lookup
// encodes what a fold changed), against the hundreds of milliseconds of a build.
internal sealed class PostgresRecentDays
{
    /// <summary>Today and yesterday of a few products; past it, every day held is dropped.</summary>
    public const int MaxDays = 16;

    // Rows folded into one day before it is let go (the next query builds it again): a held builder keeps one
    // install per row added until it encodes its parts, which drops the repeats.
    private const long MaxFoldedRows = 1_000_000;

    // Rows of the commits kept for the builds under way; past it the builds hold nothing.
    private const long MaxLoggedRows = 500_000;

    // Builds of one day joined into what is held for the same version and stamp (see RecentDay).
    private const int MaxBuildsPerDay = 8;

    private readonly object _gate = new();
    private readonly Dictionary<(int Product, DateOnly Day), RecentDay> _days = [];
    private readonly List<PostgresCommitRows> _log = [];
    private long _loggedRows;
    private int _building;
    private long _lost;

    /// <summary>Called before a build's snapshot is taken; <see cref="EndBuild"/> when it is held or failed.</summary>
    public Ticket BeginBuild()
    {
        lock (_gate)
        {
            _building++;
            return new Ticket(_lost);
        }
    }

    public void EndBuild()
    {
        lock (_gate)
        {
            if (--_building == 0)
            {
                _log.Clear();
                _loggedRows = 0;
            }
        }
    }

    /// <summary>
    /// Called after a commit of this collector that stored events: folds what it stored into the held days it
    /// touched (<paramref name="touched"/>, every product and day it stored events on), or, with no rows (the
    /// commit failed, so may or may not have happened), lets those days go.
    /// </summary>
    public void EndWrite(PostgresCommitRows? rows, IEnumerable<(int Product, DateOnly Day)> touched)
    {
        lock (_gate)
        {
            foreach (var key in touched.Distinct())
            {
                if (_days.TryGetValue(key, out var day) && (rows is null || !day.Fold(key, rows)))
                {
                    _days.Remove(key);
                }
            }

            if (_building == 0)
            {
                return;
            }

            if (rows is null || _loggedRows + rows.Count > MaxLoggedRows)
            {
                // The builds under way cannot be told what this commit did: they hold nothing.
                _lost++;
                _log.Clear();
                _loggedRows = 0;
                return;
            }

            _log.Add(rows);
            _loggedRows += rows.Count;
        }
    }

    /// <summary>
    /// The held parts of one name and kind of a day at this version and stamp: true with the part's data (null when
    /// the name had nothing that day), or false when they are not held.
    /// </summary>
    public bool TryFind(int product, DateOnly day, long version, long stamp, long name, long part, out byte[]? data)
    {
        lock (_gate)
        {
            data = null;
            return _days.TryGetValue((product, day), out var held) && held.Version == version && held.Stamp == stamp
                && held.TryFind(name, part, out data);
        }
    }

    /// <summary>
    /// Holds what a build made of a day not kept: the names of <paramref name="only"/> in those kinds, or, without,
    /// every name in both (the whole day: a name not held had nothing), with the commits it did not see folded in.
    /// Joins what is held for the same version and stamp, or replaces it.
    /// </summary>
    public void Hold(Ticket ticket, int product, PostgresDayRollups.BuiltDay built, IReadOnlyDictionary<long, PartKinds>? only)
    {
        lock (_gate)
        {
            if (ticket.Lost != _lost)
            {
                return;
            }

            var key = (product, built.Day);
            var fresh = new RecentDay(built, only);
            foreach (var rows in _log)
            {
                if (rows.Stamps.ContainsKey(key) && !fresh.Fold(key, rows))
                {
                    return;
                }
            }

            if (_days.TryGetValue(key, out var day) && day.Version == fresh.Version && day.Stamp == fresh.Stamp && day.Join(fresh))
            {
                return;
            }

            if (!_days.ContainsKey(key) && _days.Count >= MaxDays)
            {
                _days.Clear();
            }

            _days[key] = fresh;
        }
    }

    /// <summary>
    /// How many commits the builds under way could not be told about (failed ones, or more than the log keeps) when
    /// this build began: if more follow before it is held, it holds nothing.
    /// </summary>
    public readonly record struct Ticket(long Lost);

    /// <summary>
    /// One held day: its version and stamp (0 once settled: then only a version tells a change, and every commit
    /// of a settled day gives it one), and the builds held of it. Builds join only at the same version and stamp,
    /// so each has counted the same commits; each keeps its own snapshot, by which it is told which commits it saw.
    /// </summary>
    private sealed class RecentDay
    {
        private readonly List<Build> _builds;
        private readonly bool _settled;
        private long _folded;

        public RecentDay(PostgresDayRollups.BuiltDay built, IReadOnlyDictionary<long, PartKinds>? only)
        {
            Version = built.Version;
            Stamp = built.Stamp;
            _settled = built.Settled;
            _builds = [new Build(built, only)];
        }

        public long Version { get; private set; }

        public long Stamp { get; private set; }

        public bool TryFind(long name, long part, out byte[]? data)
        {
            data = null;
            foreach (var build in _builds)
            {
                if (build.TryFind(name, part, out data))
                {
                    return true;
                }
            }

            return false;
        }

        public bool Join(RecentDay other)
        {
            if (_builds.Count + other._builds.Count > MaxBuildsPerDay)
            {
                return false;
            }

            _builds.AddRange(other._builds);
            return true;
        }

        // Adds the commit's rows of this day to the builds that did not see it; false when the day cannot take them
        // (a version changed by someone else, or too much folded) and is to go.
        public bool Fold((int Product, DateOnly Day) key, PostgresCommitRows rows)
        {
            if (key.Day < rows.Since)
            {
                return false;
            }

            // The builds held agree on the commits they counted (they joined at one version and stamp), so the
            // first says whether the day's version and stamp count this one.
            if (!_builds[0].Snapshot.Sees(rows.Xid))
            {
                if (rows.Versions.TryGetValue(key, out var versions))
                {
                    // A late event gave the day a new version: still this day if the version before was the one held.
                    if (versions.Old != Version)
                    {
                        return false;
                    }

                    Version = versions.New;
                }

                if (!_settled)
                {
                    Stamp += rows.Stamps.GetValueOrDefault(key);
                }
            }

            _folded += rows.Count;
            if (_folded > MaxFoldedRows)
            {
                return false;
            }

            foreach (var build in _builds)
            {
                if (!build.Snapshot.Sees(rows.Xid))
                {
                    build.Fold(key, rows);
                }
            }

            return true;
        }
    }

    /// <summary>What one build made of a day: per event name the builders of the kinds it built.</summary>
    private sealed class Build
    {
        private readonly Dictionary<long, List<Held>> _names = [];

        // Name 0's rows, one install in one context with its events of every name added up: what its top bounds.
        private readonly Dictionary<(long Context, long Install), long>? _any;
        private readonly bool _whole;

        public Build(PostgresDayRollups.BuiltDay built, IReadOnlyDictionary<long, PartKinds>? only)
        {
            Snapshot = built.Snapshot;
            _whole = only is null;
            _any = built.Any;
            var names = only ?? built.Names.ToDictionary(n => n, _ => PartKinds.Contexts | PartKinds.Rest);
            foreach (var (name, kinds) in names)
            {
                // A name without rows that day has no builder in the build: held as an empty one, which has no parts.
                // One with rows starts with the parts the build encoded.
                _names[name] = [built.BuilderOf(name) is { } builder
                    ? new Held(kinds, builder, [.. built.Parts.Where(p => p.Name == name).Select(p => (p.Part, p.Data))])
                    : new Held(kinds, NewBuilder(kinds), null)];
            }
        }

        public XidSnapshot Snapshot { get; }

        public bool TryFind(long name, long part, out byte[]? data)
        {
            data = null;
            var kind = part == DayRollup.ContextsPart ? PartKinds.Contexts : PartKinds.Rest;
            if (_names.TryGetValue(name, out var builders))
            {
                foreach (var held in builders)
                {
                    if ((held.Kinds & kind) != 0)
                    {
                        data = held.Find(part);
                        return true;
                    }
                }
            }

            return _whole;
        }

        public void Fold((int Product, DateOnly Day) key, PostgresCommitRows rows)
        {
            foreach (var row in rows.Events)
            {
                if ((row.Product, row.Day) != key)
                {
                    continue;
                }

                foreach (var held in Builders(row.Name))
                {
                    held.AddToRow(row.Context, row.Install, row.N, row.Total);
                }

                if (_any is not null)
                {
                    var total = _any[(row.Context, row.Install)] = _any.GetValueOrDefault((row.Context, row.Install)) + row.N;
                    foreach (var held in Builders(RollupRead.AnyEvent))
                    {
                        held.AddToRow(row.Context, row.Install, row.N, total);
                    }
                }
            }

            foreach (var row in rows.Values)
            {
                if ((row.Product, row.Day) == key)
                {
                    foreach (var held in Builders(row.Name))
                    {
                        held.AddValue(row.Context, row.Install, row.Field, row.Value, row.N, row.Total);
                    }
                }
            }

            foreach (var row in rows.Measures)
            {
                if ((row.Product, row.Day) == key)
                {
                    foreach (var held in Builders(row.Name))
                    {
                        held.AddBucket(row.Context, row.Field, row.Bucket, row.N);
                    }
                }
            }
        }

        // The builders of a name; a name first seen in a whole day gets one of every part.
        private List<Held> Builders(long name)
        {
            if (!_names.TryGetValue(name, out var builders))
            {
                _names[name] = builders = [];
                if (_whole)
                {
                    builders.Add(new Held(PartKinds.Contexts | PartKinds.Rest, NewBuilder(PartKinds.Contexts | PartKinds.Rest), null));
                }
            }

            return builders;
        }

        private static DayRollup.Builder NewBuilder(PartKinds kinds) => kinds switch
        {
            PartKinds.Contexts => new DayRollup.Builder(DayRollup.ContextsPart),
            PartKinds.Rest => DayRollup.Builder.WithoutContexts(),
            _ => new DayRollup.Builder(),
        };
    }

    /// <summary>
    /// One builder held, of the kinds of part it makes, and its parts as last encoded; with none given, it has had no
    /// rows yet, so no parts.
    /// </summary>
    private sealed class Held(PartKinds kinds, DayRollup.Builder builder, List<(long Part, byte[] Data)>? parts)
    {
        private List<(long Part, byte[] Data)>? _parts = parts;
        private bool _rows = parts is not null;

        public PartKinds Kinds { get; } = kinds;

        public byte[]? Find(long part)
        {
            if (!_rows)
            {
                return null;
            }

            _parts ??= builder.BuildParts();
            foreach (var (p, data) in _parts)
            {
                if (p == part)
                {
                    return data;
                }
            }

            return null;
        }

        public void AddToRow(long context, long install, long n, long total)
        {
            builder.AddToRow(context, install, n, total);
            Changed();
        }

        public void AddValue(long context, long install, long field, long value, long n, long total)
        {
            builder.AddValue(context, install, field, value, n, total);
            Changed();
        }

        public void AddBucket(long context, long field, long bucket, long n)
        {
            builder.AddBucket(context, field, bucket, n);
            Changed();
        }

        private void Changed()
        {
            _rows = true;
            _parts = null;
        }
    }
}
