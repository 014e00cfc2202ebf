namespace Candor;

/// <summary>
/// The process-wide switch a library offers its callers (as ONNX Runtime's <c>DisableTelemetryEvents</c>).
/// It works before any client exists, so an opt-out reaches the very first event, and it takes effect at
/// once on every live client of the product.
/// </summary>
/// <remarks>
/// The program can only take telemetry away. <see cref="Enable(string?)"/> withdraws an earlier
/// <see cref="Disable(string?)"/>; it never overrides the user's own choices (variables, settings),
/// because a program that could switch telemetry back on over <c>DO_NOT_TRACK</c> would break the user's trust.
/// </remarks>
public static class CandorTelemetry
{
    private static readonly object Gate = new();

    // Replaced, never changed, so that reading it (every client build, every switch) takes no lock; the program
    // changes it once or twice. A plain array: a set (ConcurrentDictionary, HashSet) loads an assembly at every
    // start-up of every tool, telemetry off included, to search a list that holds one or two products.
    private static volatile string[] s_disabledProducts = [];
    private static volatile bool s_allDisabled;

    /// <summary>Raised after the switch changes, so clients re-resolve their level.</summary>
    internal static event Action? Changed;

    /// <summary>Turns telemetry off in this process for one product, or for every product when <paramref name="product"/> is null.</summary>
    /// <remarks>Never throws; takes effect on live clients before it returns.</remarks>
    public static void Disable(string? product = null) => Set(product, disabled: true);

    /// <summary>Withdraws an earlier <see cref="Disable(string?)"/>; the user's own choices still apply.</summary>
    /// <remarks>Never throws; takes effect on live clients before it returns.</remarks>
    public static void Enable(string? product = null) => Set(product, disabled: false);

    /// <summary>Whether the program has turned telemetry off for <paramref name="product"/>.</summary>
    public static bool IsDisabled(string product) => s_allDisabled || Array.IndexOf(s_disabledProducts, product) >= 0;

    private static void Set(string? product, bool disabled)
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
