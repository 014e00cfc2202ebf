using System.CommandLine;
using Candor.CommandLine.Inspection;
using Candor.Manifest;

namespace Candor.CommandLine;

/// <summary>The one call that fits Candor into a System.CommandLine tool.</summary>
public static class CandorRootCommandExtensions
{
    /// <summary>
    /// Adds Candor to <paramref name="root"/>: <c>--disable-telemetry</c> (with the manifest's opt-out flags as
    /// aliases) and <c>--printmetrics</c> on every command, the <c>telemetry</c> command group, and a client built
    /// for each run after parsing, which tracks every command that runs. Call it after the tool's commands are
    /// added: commands added later are not tracked.
    /// </summary>
    /// <param name="root">The tool's root command.</param>
    /// <param name="options">
    /// The client's options, usually just <see cref="CandorOptions.Assembly"/>. The integration owns them from now
    /// on: before each run it sets <see cref="CandorOptions.Manifest"/>, <see cref="CandorOptions.CommandLineOptOut"/>,
    /// <see cref="CandorOptions.PrintEvents"/> and <see cref="CandorOptions.DeferDisclosure"/>, and points the
    /// print and disclosure writers, when not set, at the invocation's error writer.
    /// </param>
    /// <param name="commandLine">The event names, the print alias and the group's name; the defaults when null.</param>
    /// <returns>The integration, whose <see cref="CandorCommandLine.Client"/> the tool's commands use for their own events.</returns>
    /// <exception cref="ManifestException">
    /// The manifest is missing or wrong, does not declare the invocation event, or does not list every command and
    /// option in it; the message ends with the entries that fit (see <see cref="CandorCommandLine.ManifestEvents"/>).
    /// </exception>
    /// <exception cref="ArgumentException">Neither <see cref="CandorOptions.Assembly"/> nor <see cref="CandorOptions.Manifest"/> is set.</exception>
    public static CandorCommandLine UseCandor(this RootCommand root, CandorOptions options, CandorCommandLineOptions? commandLine = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        return new CandorCommandLine(root, options, commandLine ?? new CandorCommandLineOptions(), CandorMachine.ForProcess);
    }
}
