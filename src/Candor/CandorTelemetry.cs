using Candor.Consent;

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
    /// <summary>Turns telemetry off in this process for one product, or for every product when <paramref name="product"/> is null.</summary>
    /// <remarks>Never throws; takes effect on live clients before it returns.</remarks>
    public static void Disable(string? product = null) => ProgramSwitch.Set(product, disabled: true);

    /// <summary>Withdraws an earlier <see cref="Disable(string?)"/>; the user's own choices still apply.</summary>
    /// <remarks>Never throws; takes effect on live clients before it returns.</remarks>
    public static void Enable(string? product = null) => ProgramSwitch.Set(product, disabled: false);

    /// <summary>Whether the program has turned telemetry off for <paramref name="product"/>.</summary>
    public static bool IsDisabled(string product) => ProgramSwitch.IsDisabled(product);
}
