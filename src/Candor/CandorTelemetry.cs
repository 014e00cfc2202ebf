using System.Collections.Concurrent;

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
    private static readonly ConcurrentDictionary<string, bool> DisabledProducts = new(StringComparer.Ordinal);
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
    public static bool IsDisabled(string product) => s_allDisabled || DisabledProducts.ContainsKey(product);

    private static void Set(string? product, bool disabled)
    {
        if (product is null)
        {
            s_allDisabled = disabled;
            if (!disabled)
            {
                DisabledProducts.Clear();
            }
        }
        else if (disabled)
        {
            DisabledProducts[product] = true;
        }
        else
        {
            DisabledProducts.TryRemove(product, out _);
        }

        Changed?.Invoke();
    }
}
