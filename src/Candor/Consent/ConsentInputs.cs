using Candor.Manifest;
using Candor.Platform;

namespace Candor.Consent;

/// <summary>
/// Everything <see cref="ConsentResolver"/> asks, gathered by the caller so the resolver itself does no I/O. The
/// settings file alone may be read on demand (<see cref="ReadSettings"/>): it comes last in the order, so a run turned
/// off by a variable or a flag never reads or parses it.
/// </summary>
internal sealed class ConsentInputs
{
    private SettingsSnapshot? _settings;
    private Func<SettingsSnapshot>? _readSettings;

    /// <summary>The product: its ID, consent model, opt-out variables and CI policy.</summary>
    public required TelemetryManifest Manifest { get; init; }

    /// <summary>The environment variables of this process.</summary>
    public required IEnvironment Environment { get; init; }

    /// <summary>The user's choices from <c>settings.json</c>: as given, else read once when first asked for, else none.</summary>
    public SettingsSnapshot Settings
    {
        get => _settings ??= _readSettings?.Invoke() ?? SettingsSnapshot.Empty;
        init => _settings = value;
    }

    /// <summary>Reads the user's choices when the resolver first needs them, instead of <see cref="Settings"/> given up front.</summary>
    public Func<SettingsSnapshot> ReadSettings
    {
        init => _readSettings = value;
    }

    /// <summary>Whether the settings were given or read: false when the decision was made before they were needed.</summary>
    public bool SettingsKnown => _settings is not null;

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
