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

    /// <summary>
    /// Whether the build can send (it has an ingestion key; a private build has none), asked only when a run would
    /// record: the key may be read by reflection. Unset, the build can.
    /// </summary>
    public Func<bool>? CanSend
    {
        init => _canSend = value;
    }

    /// <summary>The answer of <see cref="CanSend"/>, asked for once.</summary>
    public bool Sends => _sends ??= _canSend?.Invoke() ?? true;

    /// <summary>Whether the run prints its events (<c>--printmetrics</c>, <c>CANDOR_TELEMETRY_DEBUG</c>), which a private build does too.</summary>
    public bool Printing { get; init; }

    private Func<bool>? _canSend;
    private bool? _sends;
}
