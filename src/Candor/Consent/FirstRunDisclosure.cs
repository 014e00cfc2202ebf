using Candor.Identity;
using Candor.Manifest;

namespace Candor.Consent;

/// <summary>
/// Shows a product's disclosure once per user, and again when its version goes up; never in CI. The run that
/// shows it sends nothing: the decision becomes off with <see cref="ConsentSource.FirstRunDisclosure"/>, so the
/// user reads what is collected before anything is.
/// </summary>
internal sealed class FirstRunDisclosure
{
    private readonly IdentityStore _identities;
    private readonly TextWriter? _output;

    /// <param name="identities">Where the shown version is recorded.</param>
    /// <param name="output">Where the text goes; standard error when null.</param>
    public FirstRunDisclosure(IdentityStore identities, TextWriter? output = null)
    {
        _identities = identities;
        _output = output;
    }

    /// <summary>Whether the disclosure must be shown: not in CI, and never shown before or shown in a lower version.</summary>
    public static bool MustShow(TelemetryManifest manifest, InstallIdentity? identity, string? ciVendor) =>
        ciVendor is null && (identity?.DisclosureVersion ?? 0) < manifest.DisclosureVersion;

    /// <summary>
    /// Shows the disclosure when it must be shown and records its version, turning <paramref name="decision"/>
    /// off for this run. An off decision is returned as it is, with nothing shown and nothing written.
    /// </summary>
    /// <remarks>Never throws: when the text cannot be written or its version cannot be recorded, the run stays off.</remarks>
    public ConsentDecision Apply(ConsentDecision decision, TelemetryManifest manifest, InstallIdentity? identity, string? ciVendor)
    {
        if (decision.Level == TelemetryLevel.Off || !MustShow(manifest, identity, ciVendor))
        {
            return decision;
        }

        return Show(manifest)
            ?? new(TelemetryLevel.Off, ConsentSource.FirstRunDisclosure, $"the {manifest.Product} disclosure (version {manifest.DisclosureVersion}) was shown in this run; collection starts with the next run");
    }

    /// <summary>
    /// Shows the disclosure and records its version. Returns null when both worked, else the off decision that
    /// says what failed. Never throws.
    /// </summary>
    public ConsentDecision? Show(TelemetryManifest manifest)
    {
        // Shown before it is recorded: if recording fails the user sees it again, which is better than never.
        try
        {
            // Standard error is looked up only here: setting it up (its encoding, and with it the globalization
            // library) costs a run that shows nothing several milliseconds.
            var output = _output ?? Console.Error;
            output.WriteLine(manifest.DisclosureText);
            output.WriteLine();
            output.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            return new(TelemetryLevel.Off, ConsentSource.FirstRunDisclosure, $"the {manifest.Product} disclosure (version {manifest.DisclosureVersion}) could not be shown ({ex.GetType().Name})");
        }

        try
        {
            _identities.RecordDisclosure(manifest.Product, manifest.DisclosureVersion);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(TelemetryLevel.Off, ConsentSource.HomeUnavailable, $"the Candor home '{_identities.Home.Root}' cannot be written ({ex.GetType().Name})");
        }

        return null;
    }
}
