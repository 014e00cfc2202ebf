namespace Candor.CommandLine;

/// <summary>How <see cref="CandorRootCommandExtensions.UseCandor"/> fits Candor into a tool's command line. The defaults suit most tools.</summary>
public sealed class CandorCommandLineOptions
{
    /// <summary>The option that turns telemetry off for one run. Its aliases are the manifest's <c>optOut.flags</c>.</summary>
    public const string OptOutOptionName = "--disable-telemetry";

    /// <summary>The option that prints every event on standard error, exactly as it is sent.</summary>
    public const string PrintOptionName = "--printmetrics";

    /// <summary>
    /// The event tracked for every command that runs; the manifest must declare it (see
    /// <see cref="CandorCommandLine.ManifestEvents"/>). Default <c>command</c>.
    /// </summary>
    public string InvocationEvent { get; set; } = "command";

    /// <summary>
    /// The error-level event tracked, besides the invocation event, when a command throws; tracked only when the
    /// manifest declares it, so that the <c>errors</c> level still reports crashes. Default <c>command-crash</c>.
    /// </summary>
    public string CrashEvent { get; set; } = "command-crash";

    /// <summary>Whether every command that runs is tracked automatically. Default true; when false the manifest need not declare the events.</summary>
    public bool TrackInvocations { get; set; } = true;

    /// <summary>Another name for <c>--printmetrics</c>, such as <c>--print-telemetry</c>; null for none.</summary>
    public string? PrintAlias { get; set; }

    /// <summary>The name of the command group that shows and changes the user's choice. Default <c>telemetry</c>; null leaves it out.</summary>
    public string? TelemetryCommandName { get; set; } = "telemetry";

    /// <summary>
    /// Builds the client for one run from the options, after the command line is parsed (so the opt-out flag and
    /// the print option are already set on them). Default <see cref="CandorClient.Create"/>; a tool's own tests
    /// pass one that calls <see cref="CandorClient.CreateForTesting"/>.
    /// </summary>
    public Func<CandorOptions, CandorClient> CreateClient { get; set; } = CandorClient.Create;
}
