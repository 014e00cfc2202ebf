namespace Candor.Collector.Storage.DayRollups;

/// <summary>Day numbers and the periods the rollup queries count in.</summary>
internal static class RollupPeriods
{
    private static readonly DateOnly Epoch = new(1970, 1, 1);

    /// <summary>Days since 1970-01-01 (a Thursday).</summary>
    public static long DayNumber(DateOnly date) => date.DayNumber - Epoch.DayNumber;

    public static DateOnly DateOf(long dayNumber) => Epoch.AddDays((int)dayNumber);

    // Weeks start on Monday, months are numbered yyyymm.
    public static long PeriodOf(long day, Interval interval) => interval switch
    {
        Interval.Day => day,
        Interval.Week => day - ((day + 3) % 7),
        Interval.Month => DateOf(day) is var date ? (date.Year * 100L) + date.Month : 0,
        _ => 0,
    };

    public static DateOnly PeriodStart(long period, Interval interval, EventFilter filter) => interval switch
    {
        Interval.Day or Interval.Week => DateOf(period),
        Interval.Month => new DateOnly((int)(period / 100), (int)(period % 100), 1),
        _ => filter.From,
    };

    // Most events first, then by value, as every grouping query answers.
    public static int ByEventsThenValue(GroupCount a, GroupCount b) =>
        a.Events != b.Events ? b.Events.CompareTo(a.Events) : string.CompareOrdinal(a.Value, b.Value);
}
