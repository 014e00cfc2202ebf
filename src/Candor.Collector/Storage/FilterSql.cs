using System.Data.Common;

namespace Candor.Collector.Storage;

/// <summary>The SQL that an <see cref="EventFilter"/> makes, for both stores: conditions and their parameters.</summary>
internal static class FilterSql
{
    /// <summary>The condition on the event name when the filter names one (with the leading AND), else nothing.</summary>
    public static string EventCondition(EventFilter filter, string column, SqlDialect dialect) =>
        filter.Event is null ? "" : $"AND {column} = (SELECT id FROM strings WHERE {dialect.StringLookupColumn} = {dialect.P("event")})";

    /// <summary>The condition on a context column that the filter's version, OS and CI make; always true when it has none.</summary>
    public static string ContextCondition(EventFilter filter, string column, SqlDialect dialect) =>
        ContextConditions(filter, dialect) is { } conditions ? $"{column} IN (SELECT id FROM contexts WHERE {conditions})" : dialect.True;

    /// <summary>The conditions on the contexts table that the filter's version, OS and CI make; null when it has none.</summary>
    public static string? ContextConditions(EventFilter filter, SqlDialect dialect)
    {
        if (filter.Version is null && filter.Os is null && filter.Ci is null)
        {
            return null;
        }

        var conditions = new List<string>();
        if (filter.Version is not null)
        {
            conditions.Add($"version = (SELECT id FROM strings WHERE {dialect.StringLookupColumn} = {dialect.P("version")})");
        }

        if (filter.Os is not null)
        {
            conditions.Add($"os = (SELECT id FROM strings WHERE {dialect.StringLookupColumn} = {dialect.P("os")})");
        }

        if (filter.Ci is not null)
        {
            conditions.Add(filter.Ci.Value ? "ci <> 0" : "ci = 0");
        }

        return string.Join(" AND ", conditions);
    }

    /// <summary>The parameters the conditions name: product, fromDay and toDay always; event, version and OS when set.</summary>
    public static void AddParameters(DbCommand command, EventFilter filter, SqlDialect dialect)
    {
        dialect.Bind(command, "product", filter.Product);
        dialect.Bind(command, "fromDay", dialect.Day(filter.From));
        dialect.Bind(command, "toDay", dialect.Day(filter.To));
        if (filter.Event is not null)
        {
            dialect.Bind(command, "event", dialect.StringKey(filter.Event));
        }

        if (filter.Version is not null)
        {
            dialect.Bind(command, "version", dialect.StringKey(filter.Version));
        }

        if (filter.Os is not null)
        {
            dialect.Bind(command, "os", dialect.StringKey(filter.Os));
        }
    }
}
