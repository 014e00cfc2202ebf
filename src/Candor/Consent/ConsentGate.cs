using Candor.Identity;
using Candor.Manifest;
using Candor.Platform;
using Candor.Storage;

namespace Candor.Consent;

/// <summary>The result of <see cref="ConsentGate.Open"/>.</summary>
/// <param name="Decision">The level for this run and what decided it.</param>
/// <param name="Home">The Candor home, or null when the user has none.</param>
/// <param name="Identity">The product's identity; non-null exactly when <see cref="ConsentDecision.Level"/> is not off.</param>
/// <param name="DisclosurePending">
/// The disclosure was deferred and must still be shown (<see cref="ConsentGate.ShowDisclosure"/>); the run is off until then.
/// </param>
internal sealed record ConsentOutcome(ConsentDecision Decision, CandorHome? Home, InstallIdentity? Identity, bool DisclosurePending = false);

/// <summary>
/// Everything a client does before its first event, in the one order that keeps the promises: read the
/// choices (no writes), resolve, and only when telemetry is on create the identity, show the disclosure and
/// record that the product was seen. An opt-out run therefore touches no file at all, and a home that cannot
/// be written turns telemetry off for the run instead of failing the tool.
/// </summary>
internal sealed class ConsentGate
{
    private readonly IEnvironment _environment;
    private readonly IFileSystem _files;
    private readonly TimeProvider _time;
    private readonly string _policyPath;
    private readonly TextWriter? _disclosureOutput;

    /// <param name="environment">The environment variables (and the home they point to).</param>
    /// <param name="files">The file system.</param>
    /// <param name="time">The clock for first-use and first-seen dates.</param>
    /// <param name="policyPath">Where the machine policy is; <see cref="MachinePolicy.DefaultPath"/> when null.</param>
    /// <param name="disclosureOutput">Where the disclosure is shown; standard error when null.</param>
    public ConsentGate(IEnvironment environment, IFileSystem files, TimeProvider? time = null, string? policyPath = null, TextWriter? disclosureOutput = null)
    {
        _environment = environment;
        _files = files;
        _time = time ?? TimeProvider.System;
        _policyPath = policyPath ?? MachinePolicy.DefaultPath();
        _disclosureOutput = disclosureOutput;
    }

    /// <summary>The real process: its environment, the physical file system, the system clock and standard error.</summary>
    public static ConsentGate ForProcess() => new(ProcessEnvironment.Instance, PhysicalFileSystem.Instance);

    /// <summary>Resolves consent for <paramref name="manifest"/>'s product in this run and prepares what an on run needs.</summary>
    /// <param name="manifest">The product.</param>
    /// <param name="commandLineOptOut">The opt-out flag given on this run's command line, or null.</param>
    /// <param name="ciVendor">The CI vendor when this is a CI run (from the context), or null.</param>
    /// <param name="deferDisclosure">
    /// When the disclosure must be shown, do not show it now: the outcome is off with
    /// <see cref="ConsentOutcome.DisclosurePending"/> set, and the tool calls <see cref="ShowDisclosure"/>
    /// before its first real command (never for <c>--help</c>).
    /// </param>
    /// <param name="canSend">
    /// Whether the build can send (it has an ingestion key), asked only when the run would record; null for a build
    /// that can (a tool's test). A build that cannot (a private build) collects nothing, so it shows no disclosure, and
    /// unless the run prints its events (<paramref name="printing"/>) or the user keeps them locally it is off
    /// (<see cref="ConsentSource.PrivateBuild"/>) and makes no identity and marks nothing seen.
    /// </param>
    /// <param name="printing">The run prints its events (<c>--printmetrics</c>, <c>CANDOR_TELEMETRY_DEBUG</c>).</param>
    /// <param name="settingsRead">The settings as this run read them already, or null to read them when needed.</param>
    /// <remarks>
    /// Never throws, whatever the home's files hold. The first run of a product may block briefly on the identity lock
    /// while another first run creates it.
    /// </remarks>
    public ConsentOutcome Open(TelemetryManifest manifest, string? commandLineOptOut = null, string? ciVendor = null, bool deferDisclosure = false, Func<bool>? canSend = null, bool printing = false, SettingsSnapshot? settingsRead = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var (home, homeProblem) = HomeLocator.Find(_environment);
        try
        {
            return OpenIn(manifest, home, homeProblem, commandLineOptOut, ciVendor, deferDisclosure, canSend, printing, settingsRead);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The readers and writers below catch what the home can throw at them; this is the promise kept for
            // what they did not foresee: the tool runs, with telemetry off.
            return new(new(TelemetryLevel.Off, ConsentSource.HomeUnavailable, $"the Candor home '{home?.Root}' could not be used ({ex.GetType().Name})"), home, null);
        }
    }

    private ConsentOutcome OpenIn(TelemetryManifest manifest, CandorHome? home, string? homeProblem, string? commandLineOptOut, string? ciVendor, bool deferDisclosure, Func<bool>? canSend, bool printing, SettingsSnapshot? settingsRead)
    {
        // One attempt at the settings lock: the gate only records "seen", which a later run can do, and a tool
        // must not wait at start-up because another process is changing the settings.
        var settings = home is null ? null : new SettingsStore(home, _files, _time, lockAttempts: 1);
        var inputs = new ConsentInputs
        {
            Manifest = manifest,
            Environment = _environment,
            ReadSettings = () => settingsRead ?? settings?.Read() ?? SettingsSnapshot.Empty,
            Policy = MachinePolicy.Read(_files, _policyPath),
            ProgramDisabled = ProgramSwitch.IsDisabled(manifest.Product),
            CommandLineOptOut = commandLineOptOut,
            CiVendor = ciVendor,
            HomeProblem = homeProblem,
            CanSend = canSend,
            Printing = printing,
        };
        var decision = ConsentResolver.Resolve(inputs);

        if (decision.Source == ConsentSource.UserMachine && inputs.Settings.Problem is not null)
        {
            // The unreadable file decided this run is off. It is set aside and replaced by one that says off, so every
            // later run of every tool reads off at once, and the user finds the old file named in 'candor status'.
            // (A run that a variable or a flag turned off writes nothing, as always.)
            settings!.Repair();
        }

        if (decision.Level == TelemetryLevel.Off || home is null || settings is null)
        {
            return new(decision, home, null);
        }

        // A private build that prints or keeps its events locally collects nothing to send: no notice is due.
        var sends = inputs.Sends;

        var identities = new IdentityStore(home, _files, _time);
        InstallIdentity identity;
        try
        {
            identity = identities.GetOrCreate(manifest.Product);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(new(TelemetryLevel.Off, ConsentSource.HomeUnavailable, $"the Candor home '{home.Root}' cannot be written ({ex.GetType().Name})"), home, null);
        }

        var pending = sends && deferDisclosure && FirstRunDisclosure.MustShow(manifest, identity, ciVendor);
        decision = pending
            ? new(TelemetryLevel.Off, ConsentSource.FirstRunDisclosure, $"the {manifest.Product} disclosure (version {manifest.DisclosureVersion}) has not been shown yet; nothing is collected before it is")
            : sends ? new FirstRunDisclosure(identities, _disclosureOutput).Apply(decision, manifest, identity, ciVendor) : decision;

        try
        {
            // The file was read to decide: a product already seen (every run but its first) reads it only once.
            if (!inputs.Settings.IsSeen(manifest.Product))
            {
                settings.MarkSeen(manifest.Product);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only `candor status` uses it; a later run records it.
        }

        return new(decision, home, decision.Level == TelemetryLevel.Off ? null : identity, pending);
    }

    /// <summary>
    /// Shows a disclosure that <see cref="Open"/> deferred, and records it, so the next run collects. This run
    /// stays off. Returns whether it was shown and recorded. Never throws.
    /// </summary>
    public bool ShowDisclosure(TelemetryManifest manifest, ConsentOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.DisclosurePending || outcome.Home is null)
        {
            return false;
        }

        return new FirstRunDisclosure(new IdentityStore(outcome.Home, _files, _time), _disclosureOutput).Show(manifest) is null;
    }
}
