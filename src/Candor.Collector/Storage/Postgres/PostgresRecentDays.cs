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
/// Folding is only right into a day built in a snapshot that this collector's commit is not already in. A build
/// cannot tell that of a commit that was under way when it ran, so a day built while one of this collector's
/// commits was under way is held but not folded into: the next commit that touches it lets it go.
/// </para>
/// </summary>
// One lock for everything: the folds, holds and lookups each take microseconds to a few milliseconds (a lookup
// encodes what a fold changed), against the hundreds of milliseconds of a build.
internal sealed class PostgresRecentDays
{
    // Today and yesterday of a few products; a day of a product not read lately is dropped with the rest.
    public const int MaxDays = 16;

    // Rows folded into one day before it is let go (the next query builds it again): a held builder keeps one
    // install per row added until it encodes its parts, which drops the repeats.
    private const long MaxFoldedRows = 1_000_000;

    private readonly object _gate = new();
    private readonly Dictionary<(int Product, DateOnly Day), RecentDay> _days = [];
    private long _epoch;
    private int _writing;

    /// <summary>Taken before a build's snapshot: whether what it builds may be folded into (see the class).</summary>
    public Ticket BeginBuild()
    {
        lock (_gate)
        {
            return new Ticket(_epoch, _writing == 0);
        }
    }

    /// <summary>Called before a commit of this collector that stores events.</summary>
    public void BeginWrite()
    {
        lock (_gate)
        {
            _writing++;
            _epoch++;
        }
    }

    /// <summary>
    /// Called after the commit: folds what it stored into the held days it touched (<paramref name="touched"/>,
    /// every product and day it stored events on), or, with no rows (the commit failed, so may or may not have
    /// happened), lets those days go.
    /// </summary>
    public void EndWrite(PostgresCommitRows? rows, IEnumerable<(int Product, DateOnly Day)> touched)
    {
        lock (_gate)
        {
            try
            {
                foreach (var key in touched.Distinct())
                {
                    if (_days.TryGetValue(key, out var day) && (rows is null || !day.Fold(key, rows)))
                    {
                        _days.Remove(key);
                    }
                }
            }
            finally
            {
                _writing--;
            }
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
    /// every name in both (the whole day: a name not held had nothing). Joins what is held for the same version and
    /// stamp, or replaces it.
    /// </summary>
    public void Hold(Ticket ticket, int product, PostgresDayRollups.BuiltDay built, IReadOnlyDictionary<long, PartKinds>? only)
    {
        lock (_gate)
        {
            var foldable = ticket.Idle && ticket.Epoch == _epoch;
            if (!_days.TryGetValue((product, built.Day), out var day) || day.Version != built.Version || day.Stamp != built.Stamp)
            {
                if (_days.Count >= MaxDays)
                {
                    _days.Clear();
                }

                _days[(product, built.Day)] = day = new RecentDay(built.Version, built.Stamp, built.Settled, foldable);
            }

            day.Take(built, only, foldable);
        }
    }

    /// <summary>Lets every held day of every product go.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _days.Clear();
        }
    }

    /// <summary>Which commits of this collector were under way when a build began.</summary>
    public readonly record struct Ticket(long Epoch, bool Idle);

    /// <summary>
    /// One held day: its version and stamp (0 once settled: then only a version tells a change, and every commit
    /// of a settled day gives it one), and per event name the builders of the kinds held.
    /// </summary>
    private sealed class RecentDay(long version, long stamp, bool settled, bool foldable)
    {
        private readonly Dictionary<long, List<Held>> _names = [];

        // Name 0's rows, one install in one context with its events of every name added up: what its top bounds.
        private Dictionary<(long Context, long Install), long>? _any;
        private bool _whole;
        private bool _foldable = foldable;
        private long _folded;

        public long Version { get; private set; } = version;

        public long Stamp { get; private set; } = stamp;

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

        public void Take(PostgresDayRollups.BuiltDay built, IReadOnlyDictionary<long, PartKinds>? only, bool foldable)
        {
            _foldable &= foldable;
            _whole |= only is null;
            if (built.Any is { } any && _any is null)
            {
                _any = any;
            }

            var names = only ?? built.Names.ToDictionary(n => n, _ => PartKinds.Contexts | PartKinds.Rest);
            foreach (var (name, kinds) in names)
            {
                if (!_names.TryGetValue(name, out var builders))
                {
                    _names[name] = builders = [];
                }

                if (builders.Any(b => (b.Kinds & kinds) == kinds))
                {
                    continue;
                }

                // A name without rows that day has no builder in the build: held as an empty one, which has no parts.
                // One with rows starts with the parts the build encoded.
                builders.Add(built.BuilderOf(name) is { } builder
                    ? new Held(kinds, builder, [.. built.Parts.Where(p => p.Name == name).Select(p => (p.Part, p.Data))])
                    : new Held(kinds, NewBuilder(kinds), null));
            }
        }

        // Adds the commit's rows of this day to every builder held; false when the day cannot take them (built
        // while a commit was under way, a version changed by someone else, or too much folded) and is to go.
        public bool Fold((int Product, DateOnly Day) key, PostgresCommitRows rows)
        {
            if (!_foldable || key.Day < rows.Since)
            {
                return false;
            }

            if (rows.Versions.TryGetValue(key, out var versions))
            {
                // A late event gave the day a new version: still this day if the version before was the one held.
                if (versions.Old != Version)
                {
                    return false;
                }

                Version = versions.New;
            }

            var added = rows.Stamps.GetValueOrDefault(key);
            _folded += added;
            if (_folded > MaxFoldedRows)
            {
                return false;
            }

            if (!settled)
            {
                Stamp += added;
            }

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

            return true;
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
