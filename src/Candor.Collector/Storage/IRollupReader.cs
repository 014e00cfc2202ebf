namespace Candor.Collector.Storage;

/// <summary>The queries over the daily rollups that the query API and the dashboard ask.</summary>
internal interface IRollupReader
{
    /// <summary>
    /// Builds and keeps whatever the store's queries read instead of the rollup rows, for the product's days from
    /// <paramref name="from"/> to <paramref name="to"/> that lack it, so that the first query over them is as fast
    /// as the later ones; returns how many event names and days it built. A store whose queries need nothing
    /// prepared returns 0. Queries are right without it; it only moves work ahead of them.
    /// </summary>
    Task<long> PrepareDayRollupsAsync(string product, DateOnly from, DateOnly to, CancellationToken cancellationToken);

    /// <summary>Events and distinct installs per period, from the rollups.</summary>
    Task<IReadOnlyList<PeriodCount>> CountEventsAsync(EventFilter filter, Interval interval, CancellationToken cancellationToken);

    /// <summary>Events and distinct installs per value of one declared property, from the rollups.</summary>
    Task<IReadOnlyList<GroupCount>> CountByPropertyAsync(EventFilter filter, string property, CancellationToken cancellationToken);

    /// <summary>Events and distinct installs per value of one context dimension, from the rollups.</summary>
    Task<IReadOnlyList<GroupCount>> CountByContextAsync(EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken);

    /// <summary>The duration histogram of one measurement per period (see <see cref="DurationHistogram"/>).</summary>
    Task<IReadOnlyList<HistogramCount>> GetDurationHistogramAsync(EventFilter filter, string measurement, Interval interval, CancellationToken cancellationToken);

    /// <summary>
    /// Answers several rollup queries at once, each exactly as its kind's single method would (same rows, same
    /// order), in the order asked. A page of the dashboard asks a few dozen queries that read the same day rollups;
    /// a store may read each day rollup once for all of them.
    /// </summary>
    Task<IReadOnlyList<RollupAnswer>> CountAsync(IReadOnlyList<RollupQuery> queries, CancellationToken cancellationToken);
}
