using Candor.Manifest;
using Candor.Platform;

namespace Candor.Consent;

/// <summary>Everything <see cref="ConsentResolver"/> asks, gathered by the caller so the resolver itself does no I/O.</summary>
internal sealed class ConsentInputs
{
    /// <summary>The product: its ID, consent model, opt-out variables and CI policy.</summary>
    public required TelemetryManifest Manifest { get; init; }

    /// <summary>The environment variables of this process.</summary>
    public required IEnvironment Environment { get; init; }

    /// <summary>The user's choices from <c>settings.json</c>.</summary>
    public SettingsSnapshot Settings { get; init; } = SettingsSnapshot.Empty;

    /// <summary>The machine policy, or null when none was read.</summary>
    public MachinePolicy? Policy { get; init; }

    /// <summary>Whether the program turned telemetry off (<see cref="CandorTelemetry.IsDisabled(string)"/>).</summary>
    public bool ProgramDisabled { get; init; }

    /// <summary>The opt-out flag as given on this run's command line (e.g. <c>--disable-telemetry</c>), or null when none was.</summary>
    public string? CommandLineOptOut { get; init; }

    /// <summary>The CI vendor when this is a CI run (see <c>CiDetector</c>), else null.</summary>
    public string? CiVendor { get; init; }

    /// <summary>Why the Candor home cannot be used (none, not writable), or null when it can.</summary>
    public string? HomeProblem { get; init; }
}
