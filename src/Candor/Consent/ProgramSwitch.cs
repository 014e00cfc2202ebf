namespace Candor.Consent;

/// <summary>
/// The program's own switch, one of the sources consent reads (<see cref="ConsentSource.Program"/>): which products
/// the program has turned telemetry off for in this process. <see cref="CandorTelemetry"/> is its public face; it lives
/// here, beside the other sources, so that consent reads it without reaching back to the client's namespace.
/// </summary>
internal static class ProgramSwitch
{
    private static readonly object Gate = new();

    // Replaced, never changed, so that reading it (every client build, every switch) takes no lock; the program
    // changes it once or twice. A plain array: a set (ConcurrentDictionary, HashSet) loads an assembly at every
    // start-up of every tool, telemetry off included, to search a list that holds one or two products.
    private static volatile string[] s_disabledProducts = [];
    private static volatile bool s_allDisabled;

    /// <summary>Raised after the switch changes, so clients re-resolve their level.</summary>
    public static event Action? Changed;

    /// <summary>Whether the program has turned telemetry off for <paramref name="product"/>.</summary>
    // The length first: the search's generic comparer is a few first calls that a program which never switched does not need.
    public static bool IsDisabled(string product) => s_allDisabled || (s_disabledProducts is { Length: > 0 } disabled && Array.IndexOf(disabled, product) >= 0);

    /// <summary>Turns telemetry off (or withdraws that) for one product, or for every product when <paramref name="product"/> is null.</summary>
    public static void Set(string? product, bool disabled)
    {
        lock (Gate)
        {
            if (product is null)
            {
                s_allDisabled = disabled;
                if (!disabled)
                {
                    s_disabledProducts = [];
                }
            }
            else
            {
                var others = Array.FindAll(s_disabledProducts, p => !string.Equals(p, product, StringComparison.Ordinal));
                s_disabledProducts = disabled ? [.. others, product] : others;
            }
        }

        Changed?.Invoke();
    }
}
