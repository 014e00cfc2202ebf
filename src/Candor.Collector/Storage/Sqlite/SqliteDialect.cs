namespace Candor.Collector.Storage.Sqlite;

/// <summary>
/// SQLite's side of <see cref="SqlDialect"/>: <c>$</c> parameters, times as Unix milliseconds and days as day numbers
/// (<see cref="SqliteSchema"/>), strings found by their value, text compared by bytes already.
/// </summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override char ParameterPrefix => '$';

    public override string True => "1 = 1";

    public override string CodePointOrder => "";

    public override string StringLookupColumn => "value";

    public override object StringKey(string value) => value;

    public override object Time(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public override DateTimeOffset TimeOf(object value) => DateTimeOffset.FromUnixTimeMilliseconds((long)value);

    public override object Day(DateOnly day) => SqliteSchema.DayNumber(day);
}
