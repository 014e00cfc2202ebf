namespace Candor.Collector.Storage.DayRollups;

// What the queries over the day rollups add up, one tally per query of a batch, shared by both stores: each store
// finds and reads (or builds) the day rollup parts its way and hands them to these, so both count alike.

/// <summary>
/// Events and the distinct installs they came from, for one group of a query, and the bound on one install's
/// events (<see cref="PeriodCount.Heaviest"/>): per day rollup part read (one event name and day) the largest
/// top among the entries added from it, summed over the parts.
/// </summary>
internal sealed class RollupGroup
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

    public static RollupGroup Of(Dictionary<long, RollupGroup> groups, long key)
    {
        if (!groups.TryGetValue(key, out var group))
        {
            groups[key] = group = new RollupGroup();
        }

        return group;
    }
}

/// <summary>What one query of a batch adds up as the pass hands it day rollup parts.</summary>
internal abstract class RollupTally(HashSet<long>? contexts)
{
    /// <summary>The contexts the query's filter selects; <see langword="null"/> reads whole days.</summary>
    protected HashSet<long>? Contexts { get; } = contexts;

    /// <summary>Whether the query's filter selects contexts (so it reads the contexts part).</summary>
    public bool Filtered => Contexts is not null;

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
    public virtual void Name(RollupNames strings)
    {
    }

    public abstract RollupAnswer Answer(RollupNames strings);

    protected static List<GroupCount> Named(Dictionary<long, RollupGroup> groups, RollupNames strings)
    {
        var rows = new List<GroupCount>(groups.Count);
        foreach (var (id, group) in groups)
        {
            rows.Add(new GroupCount(strings.Value(id), group.Events, group.Installs.Count, group.Installs.Fingerprint, group.Heaviest));
        }

        rows.Sort(RollupPeriods.ByEventsThenValue);
        return rows;
    }

    protected static void Want(Dictionary<long, RollupGroup> groups, RollupNames strings)
    {
        foreach (var id in groups.Keys)
        {
            strings.Want(id);
        }
    }
}

/// <summary><see cref="RollupQueryKind.Events"/>. A day with events of other names only has an empty day rollup for this one: it makes no period.</summary>
internal sealed class PeriodTally(Interval interval, EventFilter filter, HashSet<long>? contexts) : RollupTally(contexts)
{
    private readonly Dictionary<long, RollupGroup> _periods = [];

    protected override void AddPart(long day, ReadOnlySpan<byte> data)
    {
        if (Contexts is null)
        {
            var totals = new DayRollup.Totals(data);
            if (totals.Events > 0)
            {
                RollupGroup.Of(_periods, RollupPeriods.PeriodOf(day, interval)).Add(totals.Events, totals.Top, totals.Installs, Part);
            }

            return;
        }

        var reader = new DayRollup.Reader(data);
        while (reader.MoveNext())
        {
            if (Contexts.Contains(reader.Context))
            {
                RollupGroup.Of(_periods, RollupPeriods.PeriodOf(day, interval)).Add(reader.Events, reader.Top, reader.Installs, Part);
            }
        }
    }

    public override RollupAnswer Answer(RollupNames strings)
    {
        var periods = new long[_periods.Count];
        _periods.Keys.CopyTo(periods, 0);
        Array.Sort(periods);
        var rows = new PeriodCount[periods.Length];
        for (var i = 0; i < periods.Length; i++)
        {
            var group = _periods[periods[i]];
            rows[i] = new PeriodCount(RollupPeriods.PeriodStart(periods[i], interval, filter), group.Events, group.Installs.Count, group.Installs.Fingerprint, group.Heaviest);
        }

        return new RollupAnswer(Periods: rows);
    }
}

/// <summary>
/// <see cref="RollupQueryKind.ByProperty"/>. Each value keeps its own install set in the day rollup, so the
/// count of distinct installs per value stays exact over any range.
/// </summary>
internal sealed class ValueTally(long? property, HashSet<long>? contexts) : RollupTally(contexts)
{
    private readonly Dictionary<long, RollupGroup> _values = [];

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

    public override void Name(RollupNames strings) => Want(_values, strings);

    public override RollupAnswer Answer(RollupNames strings) => new(Groups: Named(_values, strings));

    private void AddValues(DayRollup.ValueEnumerator values)
    {
        while (values.MoveNext())
        {
            RollupGroup.Of(_values, values.Value).Add(values.Events, values.Top, values.Installs, Part);
        }
    }
}

/// <summary><see cref="RollupQueryKind.ByContext"/>: every context's events and installs, grouped by its value of the dimension.</summary>
internal sealed class ContextTally(ContextDimension dimension, Dictionary<long, long> values, HashSet<long>? contexts) : RollupTally(contexts)
{
    private readonly Dictionary<long, RollupGroup> _groups = [];

    protected override void AddPart(long day, ReadOnlySpan<byte> data)
    {
        var reader = new DayRollup.Reader(data);
        while (reader.MoveNext())
        {
            if (Contexts is null || Contexts.Contains(reader.Context))
            {
                RollupGroup.Of(_groups, values.GetValueOrDefault(reader.Context)).Add(reader.Events, reader.Top, reader.Installs, Part);
            }
        }
    }

    public override void Name(RollupNames strings)
    {
        if (dimension is not ContextDimension.Container)
        {
            Want(_groups, strings);
        }
    }

    public override RollupAnswer Answer(RollupNames strings)
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

        rows.Sort(RollupPeriods.ByEventsThenValue);
        return new RollupAnswer(Groups: rows);
    }
}

/// <summary><see cref="RollupQueryKind.Histogram"/>: one measurement's bucket counts per period.</summary>
internal sealed class BucketTally(Interval interval, EventFilter filter, long? measurement, HashSet<long>? contexts) : RollupTally(contexts)
{
    private readonly Dictionary<long, Dictionary<long, long>> _periods = [];
    private readonly long _field = measurement ?? 0;

    public override bool Reads => measurement is not null;

    protected override void AddPart(long day, ReadOnlySpan<byte> data)
    {
        var period = RollupPeriods.PeriodOf(day, interval);
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

    public override RollupAnswer Answer(RollupNames strings)
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
                rows.Add(new HistogramCount(RollupPeriods.PeriodStart(period, interval, filter), (int)bucket, counts[bucket]));
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
