namespace Candor.Collector.Storage;

/// <summary>What a <see cref="RollupQuery"/> counts; each kind is one of the store's single query methods.</summary>
internal enum RollupQueryKind
{
    /// <summary><see cref="IRollupReader.CountEventsAsync"/>: events and distinct installs per period.</summary>
    Events,

    /// <summary><see cref="IRollupReader.CountByPropertyAsync"/>: events and distinct installs per value of a property.</summary>
    ByProperty,

    /// <summary><see cref="IRollupReader.CountByContextAsync"/>: events and distinct installs per value of a context dimension.</summary>
    ByContext,

    /// <summary><see cref="IRollupReader.GetDurationHistogramAsync"/>: a measurement's duration buckets per period.</summary>
    Histogram,
}

/// <summary>
/// One rollup query of a batch that <see cref="IRollupReader.CountAsync"/> answers at once. Equal queries are the same
/// question (a record), so a batch can ask each once.
/// </summary>
/// <param name="Kind">Which count.</param>
/// <param name="Filter">The product, range and filters.</param>
/// <param name="Interval">The period of <see cref="RollupQueryKind.Events"/> and <see cref="RollupQueryKind.Histogram"/>; ignored by the others.</param>
/// <param name="Field">The property of <see cref="RollupQueryKind.ByProperty"/> or the measurement of <see cref="RollupQueryKind.Histogram"/>.</param>
/// <param name="Dimension">The context dimension of <see cref="RollupQueryKind.ByContext"/>.</param>
internal sealed record RollupQuery(RollupQueryKind Kind, EventFilter Filter, Interval Interval = Interval.Total, string? Field = null, ContextDimension Dimension = ContextDimension.Version)
{
    public static RollupQuery Events(EventFilter filter, Interval interval) => new(RollupQueryKind.Events, filter, interval);

    public static RollupQuery ByProperty(EventFilter filter, string property) => new(RollupQueryKind.ByProperty, filter, Field: property);

    public static RollupQuery ByContext(EventFilter filter, ContextDimension dimension) => new(RollupQueryKind.ByContext, filter, Dimension: dimension);

    public static RollupQuery Histogram(EventFilter filter, string measurement, Interval interval) => new(RollupQueryKind.Histogram, filter, interval, measurement);

    /// <summary>
    /// Answers each query with the store's single method for its kind, as many at a time as there are processors:
    /// for a store whose single queries cost no more apart than together.
    /// </summary>
    public static async Task<IReadOnlyList<RollupAnswer>> AnswerEachAsync(IRollupReader store, IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken)
    {
        var answers = new RollupAnswer[queries.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        await Parallel.ForAsync(0, queries.Count, parallel, async (i, cancel) =>
        {
            var query = queries[i];
            answers[i] = query.Kind switch
            {
                RollupQueryKind.Events => new RollupAnswer(Periods: await store.CountEventsAsync(query.Filter, query.Interval, cancel)),
                RollupQueryKind.ByProperty => new RollupAnswer(Groups: await store.CountByPropertyAsync(query.Filter, query.Field!, cancel)),
                RollupQueryKind.ByContext => new RollupAnswer(Groups: await store.CountByContextAsync(query.Filter, query.Dimension, cancel)),
                _ => new RollupAnswer(Histogram: await store.GetDurationHistogramAsync(query.Filter, query.Field!, query.Interval, cancel)),
            };
        });

        return answers;
    }
}

/// <summary>The answer to one <see cref="RollupQuery"/>: the rows its kind's single method returns, in the same order; the other lists are empty.</summary>
internal sealed record RollupAnswer(
    IReadOnlyList<PeriodCount>? Periods = null,
    IReadOnlyList<GroupCount>? Groups = null,
    IReadOnlyList<HistogramCount>? Histogram = null)
{
    public IReadOnlyList<PeriodCount> PeriodRows => Periods ?? [];

    public IReadOnlyList<GroupCount> GroupRows => Groups ?? [];

    public IReadOnlyList<HistogramCount> HistogramRows => Histogram ?? [];
}
