namespace Candor.Collector.Storage.Postgres;

internal sealed partial class PostgresRecentDays
{
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
}
