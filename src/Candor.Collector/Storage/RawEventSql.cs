using System.Data.Common;

namespace Candor.Collector.Storage;

/// <summary>
/// The raw-event read both stores run for export: the events of a filter in time order with their name and context
/// spelled out, its parameters, and the context read back from a row.
/// </summary>
internal static class RawEventSql
{
    /// <summary>
    /// The query. Columns: 0 ID, 1 name, 2 revision, 3 time, 4 install (<paramref name="install"/>, after
    /// <paramref name="installJoin"/>), 5 none, 6 packed properties, 7 to 15 the context (<see cref="ReadContext"/>).
    /// </summary>
    // The events are chosen first, in key order up to the limit, and only those are joined: a join the database
    // cannot look up by index (PostgreSQL's install_numbers is keyed by install, not by the events' number) would
    // otherwise have it join every event of the range by hashing and sort them all for the first thousand.
    public static string Select(EventFilter filter, string install, string installJoin, SqlDialect dialect) => $"""
        SELECT e.id, n.value, e.revision, e.time, {install}, NULL, e.data,
               sv.value, so.value, sov.value, sa.value, sr.value, sci.value, sh.value, c.flags, sc.value
        FROM (SELECT * FROM events ev
              WHERE ev.product = (SELECT id FROM products WHERE name = {dialect.P("product")})
                AND ev.time >= {dialect.P("fromTime")} AND ev.time < {dialect.P("toTime")}
                {FilterSql.EventCondition(filter, "ev.name", dialect)}
                AND {FilterSql.ContextCondition(filter, "ev.context", dialect)}
              ORDER BY ev.time, ev.id
              LIMIT {dialect.P("limit")}) e
        JOIN strings n ON n.id = e.name
        {installJoin}
        JOIN contexts c ON c.id = e.context
        LEFT JOIN strings sv ON sv.id = c.version
        LEFT JOIN strings so ON so.id = c.os
        LEFT JOIN strings sov ON sov.id = c.os_version
        LEFT JOIN strings sa ON sa.id = c.arch
        LEFT JOIN strings sr ON sr.id = c.runtime
        LEFT JOIN strings sci ON sci.id = c.ci
        LEFT JOIN strings sh ON sh.id = c.host
        LEFT JOIN strings sc ON sc.id = c.country
        ORDER BY e.time, e.id
        """;

    /// <summary>The filter's parameters, its days as a range of times, and the limit.</summary>
    public static void AddParameters(DbCommand command, EventFilter filter, int limit, SqlDialect dialect)
    {
        FilterSql.AddParameters(command, filter, dialect);
        dialect.Bind(command, "fromTime", dialect.Time(new DateTimeOffset(filter.From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
        dialect.Bind(command, "toTime", dialect.Time(new DateTimeOffset(filter.To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
        dialect.Bind(command, "limit", limit);
    }

    /// <summary>The context of the row the reader is on.</summary>
    public static EventContext ReadContext(DbDataReader reader)
    {
        var flags = Convert.ToInt32(reader.GetValue(14), System.Globalization.CultureInfo.InvariantCulture);
        return new EventContext(
            Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10), Text(reader, 11), Text(reader, 12), Text(reader, 13),
            (flags & ContextFlags.Container) != 0, (flags & ContextFlags.Wsl) != 0, (flags & ContextFlags.Interactive) != 0,
            Text(reader, 15));
    }

    private static string Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? "" : reader.GetString(ordinal);
}
