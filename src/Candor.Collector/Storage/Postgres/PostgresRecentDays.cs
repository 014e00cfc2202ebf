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
internal sealed partial class PostgresRecentDays
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
}
