namespace Candor.Collector.Storage.Postgres;

/// <summary>
/// PostgreSQL's side of <see cref="SqlDialect"/>: <c>@</c> parameters, <c>timestamptz</c> times cut to the
/// millisecond (as SQLite keeps them, so both stores give the same answers), <c>date</c> days, strings found by their
/// hash (<see cref="PostgresSchema.StringKey"/>), and text sorted by code point whatever the database's collation.
/// </summary>
internal sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override char ParameterPrefix => '@';

    public override string True => "TRUE";

    public override string CodePointOrder => " COLLATE \"C\"";

    public override string StringLookupColumn => "key";

    public override object StringKey(string value) => PostgresSchema.StringKey(value);

    public override object Time(DateTimeOffset time) => DateTime.UnixEpoch.AddMilliseconds(time.ToUnixTimeMilliseconds());

    public override DateTimeOffset TimeOf(object value) => new(DateTime.SpecifyKind((DateTime)value, DateTimeKind.Utc));

    public override object Day(DateOnly day) => day;
}
