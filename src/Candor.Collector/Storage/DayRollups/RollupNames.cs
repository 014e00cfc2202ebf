namespace Candor.Collector.Storage.DayRollups;

/// <summary>
/// The string IDs a batch of rollup queries looks up: the tallies ask for the value of every ID their answer names
/// (<see cref="Want"/>), the store reads them all at once, and the answers take them (<see cref="Value"/>).
/// </summary>
internal abstract class RollupNames
{
    private readonly Dictionary<long, string> _values = [];

    /// <summary>Asks for the value of an ID, which the store then reads.</summary>
    public void Want(long id) => _values.TryAdd(id, "");

    public string Value(long id) => _values.GetValueOrDefault(id, "");

    /// <summary>Every ID asked for.</summary>
    protected Dictionary<long, string>.KeyCollection Wanted => _values.Keys;

    protected void Found(long id, string value) => _values[id] = value;
}
