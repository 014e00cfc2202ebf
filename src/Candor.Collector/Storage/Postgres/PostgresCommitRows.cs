namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// What one commit of this collector added to the rollup rows of the newest days (<see cref="Since"/> on), as
/// <see cref="PostgresRecentDays"/> folds it into the days it holds: per row, what was added and the row's count
/// after the commit (what a part's <c>top</c> bounds), with the install's number; what the commit added to each
/// day's stamp; the versions its late events gave days, with the version each had before; and its transaction's
/// ID, by which a build's snapshot says whether it saw the commit (<see cref="XidSnapshot"/>).
/// </summary>
internal sealed class PostgresCommitRows(DateOnly since)
{
    /// <summary>The commit's transaction ID (<c>pg_current_xact_id()</c>).</summary>
    public long Xid { get; set; }

    /// <summary>How many rows are here.</summary>
    public long Count => Events.Count + Values.Count + Measures.Count;

    /// <summary>The first day whose rows are here; a held day before it is let go rather than folded into.</summary>
    public DateOnly Since { get; } = since;

    /// <summary>Events stored per product and day: what each day's stamp rose by.</summary>
    public Dictionary<(int Product, DateOnly Day), long> Stamps { get; } = [];

    public List<EventRow> Events { get; } = [];

    public List<ValueRow> Values { get; } = [];

    public List<MeasureRow> Measures { get; } = [];

    /// <summary>The days a late event gave a new version: the version before (0 when the day had none) and after.</summary>
    public Dictionary<(int Product, DateOnly Day), (long Old, long New)> Versions { get; } = [];

    /// <summary>A <c>rollup_events</c> row: <see cref="N"/> added, <see cref="Total"/> after.</summary>
    public readonly record struct EventRow(int Product, DateOnly Day, long Name, long Context, long Install, long N, long Total);

    /// <summary>One property value of a <c>rollup_events</c> row: <see cref="N"/> added, <see cref="Total"/> after.</summary>
    public readonly record struct ValueRow(int Product, DateOnly Day, long Name, long Field, long Value, long Context, long Install, long N, long Total);

    /// <summary>A <c>rollup_measures</c> row: <see cref="N"/> added (its count has no bound to keep).</summary>
    public readonly record struct MeasureRow(int Product, DateOnly Day, long Name, long Field, long Context, long Bucket, long N);
}
