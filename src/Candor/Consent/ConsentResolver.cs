using System.Runtime.CompilerServices;
using Candor.Manifest;
using Candor.Platform;

namespace Candor.Consent;

/// <summary>
/// Decides the telemetry level for one product and run, in the order docs/consent.md gives ("Who decides",
/// and below); the first source that speaks wins and is named in the decision, so <c>status</c> can say why.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>the machine policy (off only);</item>
/// <item>the program (<see cref="CandorTelemetry.Disable(string?)"/>; off only);</item>
/// <item>the command-line opt-out flag for this run (off only);</item>
/// <item>the product's own opt-out variables (off only; <see cref="EnvironmentFlag"/> rule);</item>
/// <item><c>DO_NOT_TRACK</c> (off only; <see cref="EnvironmentFlag"/> rule);</item>
/// <item><c>CANDOR_TELEMETRY</c>: <c>off|local|errors|all</c> in any case; any other non-empty value is off;</item>
/// <item>the user's choice for this product, then the user's machine-wide choice (unreadable values are off, and so is
/// a settings file that is there but cannot be read: it may hold an opt-out);</item>
/// <item>the product's default: opt-out products are on (<see cref="TelemetryLevel.All"/>), opt-in products off.</item>
/// </list>
/// A level other than off is then withdrawn when this is a CI run of a product that suppresses CI, when
/// the Candor home cannot be used (telemetry needs it even at the <c>local</c> level), or when the build cannot send
/// (a private build) and the run neither keeps its events locally nor prints them. The first-run
/// disclosure is applied after this, by <see cref="FirstRunDisclosure"/>.
/// </remarks>
internal static class ConsentResolver
{
    public const string DoNotTrackVariable = "DO_NOT_TRACK";
    public const string CandorVariable = "CANDOR_TELEMETRY";

    /// <summary>
    /// Whether this run is off whatever the manifest, the policy and the settings say: the opt-out flag was given for
    /// it, <c>DO_NOT_TRACK</c> is set, or <c>CANDOR_TELEMETRY</c> says off (or something that is not a level). Every
    /// source asked before them can only turn telemetry off too, so the level is off; which source speaks first is
    /// for <see cref="Resolve"/> to say.
    /// </summary>
    public static bool OffWhateverElseSays(string? commandLineOptOut, IEnvironment environment)
    {
        return commandLineOptOut is not null
            || EnvironmentFlag.IsSet(environment.Get(DoNotTrackVariable))
            || CandorVariableLevel(environment) == TelemetryLevel.Off;
    }

    /// <summary>
    /// What <c>CANDOR_TELEMETRY</c> says: null when it is not set (or blank), else its level in any case, and off for
    /// anything that is not a level.
    /// </summary>
    public static TelemetryLevel? CandorVariableLevel(IEnvironment environment)
    {
        var candor = environment.Get(CandorVariable);
        if (string.IsNullOrWhiteSpace(candor))
        {
            return null;
        }

        return TelemetryLevelText.TryParse(candor, out var level) ? level : TelemetryLevel.Off;
    }

    /// <summary>
    /// The first of the product's own opt-out variables that is set (<see cref="EnvironmentFlag"/> rule), or null.
    /// Such a run is off whatever the policy and the settings say, as for <see cref="OffWhateverElseSays"/>.
    /// </summary>
    public static string? ProductOptOut(TelemetryManifest manifest, IEnvironment environment)
    {
        // Indexed, not enumerated: an interface enumerator over the array is a few more types for every run to load.
        var variables = manifest.OptOutEnvironmentVariables;
        for (var i = 0; i < variables.Count; i++)
        {
            if (EnvironmentFlag.IsSet(environment.Get(variables[i])))
            {
                return variables[i];
            }
        }

        return null;
    }

    /// <summary>Resolves the level. Pure: reads only <paramref name="inputs"/>; never throws.</summary>
    public static ConsentDecision Resolve(ConsentInputs inputs)
    {
        var decision = Speak(inputs);
        if (decision.Level == TelemetryLevel.Off)
        {
            return decision;
        }

        if (inputs.CiVendor is not null && inputs.Manifest.Ci == CiPolicy.Suppress)
        {
            return new(TelemetryLevel.Off, ConsentSource.ContinuousIntegration, $"CI run ({inputs.CiVendor}) and {inputs.Manifest.Product} collects nothing in CI");
        }

        if (inputs.HomeProblem is not null)
        {
            return new(TelemetryLevel.Off, ConsentSource.HomeUnavailable, inputs.HomeProblem);
        }

        // A build that can send nothing collects nothing: it records only what the user keeps locally or asked to see.
        if (decision.Level != TelemetryLevel.Local && !inputs.Printing && !inputs.Sends)
        {
            return new(TelemetryLevel.Off, ConsentSource.PrivateBuild, $"this build of {inputs.Manifest.Product} has no ingestion key (a build from source): it collects nothing, but prints its events when asked and keeps them at the local level");
        }

        return decision;
    }

    private static ConsentDecision Speak(ConsentInputs inputs)
    {
        var manifest = inputs.Manifest;
        var environment = inputs.Environment;

        if (inputs.Policy is { ForcesOff: true } policy)
        {
            return Off(ConsentSource.MachinePolicy, policy.Detail);
        }

        if (inputs.ProgramDisabled)
        {
            return Off(ConsentSource.Program, "the program called CandorTelemetry.Disable()");
        }

        if (inputs.CommandLineOptOut is { } flag)
        {
            return Off(ConsentSource.CommandLine, flag);
        }

        if (ProductOptOut(manifest, environment) is { } variable)
        {
            return Off(ConsentSource.ProductVariable, $"{variable}={environment.Get(variable)}");
        }

        var doNotTrack = environment.Get(DoNotTrackVariable);
        if (EnvironmentFlag.IsSet(doNotTrack))
        {
            return Off(ConsentSource.DoNotTrack, $"{DoNotTrackVariable}={doNotTrack}");
        }

        if (CandorVariableLevel(environment) is { } level)
        {
            var candor = environment.Get(CandorVariable);
            return new(level, ConsentSource.CandorVariable, TelemetryLevelText.TryParse(candor, out _)
                ? $"{CandorVariable}={candor}"
                : $"{CandorVariable}={candor} is not {TelemetryLevelText.Choices}, so off");
        }

        return FromUserOrProduct(inputs);
    }

    // Apart from Speak: a precompiled method loads every type it names when first called, and a run that a variable
    // or a flag turned off never needs the settings' types (nor the collections' assembly their dictionary is in).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ConsentDecision FromUserOrProduct(ConsentInputs inputs)
    {
        var manifest = inputs.Manifest;
        var settings = inputs.Settings;
        if (settings.Problem is { } problem)
        {
            // Privacy first: the file may hold an opt-out, which "no choice" would turn into the product's default.
            return Off(ConsentSource.UserMachine, $"{problem}: off until you choose again, and 'candor status' names the file");
        }

        if (settings.ProductLevel(manifest.Product) is { } productLevel)
        {
            return FromSettings(ConsentSource.UserProduct, $"products.{manifest.Product}", productLevel);
        }

        if (settings.MachineLevel is { } machineLevel)
        {
            return FromSettings(ConsentSource.UserMachine, "level", machineLevel);
        }

        return manifest.Consent == ConsentModel.OptIn
            ? Off(ConsentSource.ProductDefault, $"{manifest.Product} is opt-in: off until you turn it on")
            : new(TelemetryLevel.All, ConsentSource.ProductDefault, $"{manifest.Product} is opt-out: on unless you turn it off");
    }

    private static ConsentDecision FromSettings(ConsentSource source, string member, string written) =>
        TelemetryLevelText.TryParse(written, out var level)
            ? new(level, source, $"settings.json: {member} = {TelemetryLevelText.ToText(level)}")
            : Off(source, $"settings.json: {member} = '{written}' is not {TelemetryLevelText.Choices}, so off");

    private static ConsentDecision Off(ConsentSource source, string detail) => new(TelemetryLevel.Off, source, detail);
}
