using System.Data;
using System.Data.Common;

namespace Candor.Collector.Storage;

/// <summary>
/// Where the two stores' SQL differs, in one place each (<c>SqliteDialect</c>, <c>PostgresDialect</c>), so that the
/// catalogue's statements (<see cref="CatalogueSql"/>) and the filter conditions (<see cref="FilterSql"/>) are written once.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>What a parameter's name starts with in the SQL text and in the command's parameters.</summary>
    public abstract char ParameterPrefix { get; }

    /// <summary>A condition that always holds.</summary>
    public abstract string True { get; }

    /// <summary>Appended to a text column in ORDER BY so that text sorts by code point in both stores.</summary>
    public abstract string CodePointOrder { get; }

    /// <summary>The column of the strings table an interned string is found by; its parameter is <see cref="StringKey"/>.</summary>
    public abstract string StringLookupColumn { get; }

    /// <summary>The value to find an interned string by in <see cref="StringLookupColumn"/>.</summary>
    public abstract object StringKey(string value);

    /// <summary>A time as the store keeps it (to the millisecond in both).</summary>
    public abstract object Time(DateTimeOffset time);

    /// <summary>A time the store returned.</summary>
    public abstract DateTimeOffset TimeOf(object value);

    /// <summary>A day as the rollups keep it.</summary>
    public abstract object Day(DateOnly day);

    /// <summary>A parameter's name as the SQL text writes it.</summary>
    public string P(string name) => ParameterPrefix + name;

    /// <summary>
    /// Gives a parameter of the command its value: the one the command already has (a prepared command keeps its
    /// parameters), or a new one.
    /// </summary>
    public void Bind(DbCommand command, string name, object? value, DbType? type = null)
    {
        var fullName = P(name);
        DbParameter parameter;
        if (command.Parameters.Contains(fullName))
        {
            parameter = command.Parameters[fullName];
        }
        else
        {
            parameter = command.CreateParameter();
            parameter.ParameterName = fullName;
            command.Parameters.Add(parameter);
        }

        if (type is { } known)
        {
            parameter.DbType = known;
        }

        parameter.Value = value ?? DBNull.Value;
    }
}
