namespace Candor.Collector.Storage.DayRollups;

/// <summary>One part of one event name's day rollups, and the tallies of a batch that read it.</summary>
internal sealed class RollupRead(long name, long part)
{
    /// <summary>The event name whose rollup rows count every event of an install once (the empty string's ID).</summary>
    public const long AnyEvent = 0;

    public long Name { get; } = name;

    public long Part { get; } = part;

    public List<RollupTally> Tallies { get; } = [];

    /// <summary>
    /// The tally that answers <paramref name="query"/>, given the contexts its filter selects (null: every one), a
    /// way to find a string's ID (null when no row has it), and each context's value of a dimension.
    /// </summary>
    public static RollupTally Tally(RollupQuery query, HashSet<long>? contexts, Func<string, long?> find, Func<ContextDimension, Dictionary<long, long>> contextValues) =>
        query.Kind switch
        {
            RollupQueryKind.Events => new PeriodTally(query.Interval, query.Filter, contexts),
            RollupQueryKind.ByProperty => new ValueTally(find(query.Field!), contexts),
            RollupQueryKind.ByContext => new ContextTally(query.Dimension, contextValues(query.Dimension), contexts),
            _ => new BucketTally(query.Interval, query.Filter, find(query.Field!), contexts),
        };

    /// <summary>
    /// Adds to <paramref name="reads"/> the parts <paramref name="tally"/> reads for <paramref name="query"/>: one
    /// event name's, every name's (<paramref name="everyName"/>, asked once per batch), or those under
    /// <see cref="AnyEvent"/>. Values and durations are kept under each event name; counts and contexts also under
    /// name 0, which counts every event of an install once. A filter on the context, and grouping by it, read the
    /// contexts part; everything else the whole day's totals or one property's part.
    /// </summary>
    public static void Plan(List<RollupRead> reads, RollupQuery query, RollupTally tally, Func<string, long?> find, Func<List<long>> everyName)
    {
        if (!tally.Reads)
        {
            return;
        }

        var perName = query.Kind is RollupQueryKind.ByProperty or RollupQueryKind.Histogram;
        var part = tally.Filtered || query.Kind is RollupQueryKind.ByContext ? DayRollup.ContextsPart
            : query.Kind is RollupQueryKind.ByProperty ? ((ValueTally)tally).Field
            : DayRollup.TotalsPart;
        if (query.Filter.Event is not null)
        {
            if (find(query.Filter.Event) is { } name)
            {
                Want(reads, name, part, tally);
            }
        }
        else if (perName)
        {
            foreach (var name in everyName())
            {
                Want(reads, name, part, tally);
            }
        }
        else
        {
            Want(reads, AnyEvent, part, tally);
        }
    }

    private static void Want(List<RollupRead> reads, long name, long part, RollupTally tally)
    {
        foreach (var read in reads)
        {
            if (read.Name == name && read.Part == part)
            {
                read.Tallies.Add(tally);
                return;
            }
        }

        var added = new RollupRead(name, part);
        added.Tallies.Add(tally);
        reads.Add(added);
    }
}
