using System.CommandLine;
using System.Reflection;
using Candor;
using Candor.CommandLine;
using Candor.Consent;

namespace ModelToolkit;

/// <summary>
/// The Model Toolkit's telemetry, shared by all its tools: one product (<see cref="Product"/>), one manifest, so one
/// consent. A user's choice made with <c>opt_in_out</c> (or any tool's <c>telemetry</c> commands) is the product's
/// choice in the Candor settings, which every tool of the toolkit reads.
/// </summary>
public static class ToolkitTelemetry
{
    /// <summary>The product ID every tool of the toolkit reports as.</summary>
    public const string Product = "model-toolkit";

    /// <summary>
    /// Adds Candor to a tool's command line: usage data (the event named after <paramref name="tool"/>: which
    /// options, their declared values, exit code, duration) and a failure report (<c><paramref name="tool"/>-failure</c>:
    /// the scrubbed stack of an unexpected exception).
    /// </summary>
    /// <param name="root">The tool's root command, with its options and actions.</param>
    /// <param name="tool">The tool's event name: <c>convert</c> or <c>benchmark</c>.</param>
    /// <param name="toolAssembly">The tool's own assembly, whose method names a failure report may name.</param>
    public static CandorCommandLine UseToolkitTelemetry(this RootCommand root, string tool, Assembly toolAssembly)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(toolAssembly);
        var options = new CandorOptions { Assembly = typeof(ToolkitTelemetry).Assembly };
        options.OwnAssemblies.Add(toolAssembly);
        return root.UseCandor(options, new CandorCommandLineOptions { InvocationEvent = tool, CrashEvent = tool + "-failure" });
    }

    /// <summary>Sends an error report: a failure the tool handled and explained to the user, by its reason only.</summary>
    /// <param name="candor">The tool's Candor integration, while a command runs.</param>
    /// <param name="tool">The tool: <c>convert</c> or <c>benchmark</c>.</param>
    /// <param name="reason">One of the declared reasons: <c>missing-file</c>, <c>invalid-model</c>, <c>device-unavailable</c>.</param>
    public static void ReportError(this CandorCommandLine candor, string tool, string reason)
    {
        ArgumentNullException.ThrowIfNull(candor);
        candor.Client.Event("error").With("tool", tool).With("reason", reason).Track();
    }

    /// <summary>
    /// Loads the model a tool was given; when it is missing or not a model, tells the user why and reports the error
    /// by its reason (never the path or the message). Returns null then.
    /// </summary>
    public static TinyModel? LoadModel(this CandorCommandLine candor, string tool, string path, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return TinyModel.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error.WriteLine($"[ ERROR ] There is no model at {path}.");
            candor.ReportError(tool, "missing-file");
        }
        catch (InvalidDataException e)
        {
            error.WriteLine($"[ ERROR ] {e.Message}");
            candor.ReportError(tool, "invalid-model");
        }

        return null;
    }

    /// <summary>
    /// Saves the user's decision for every tool of the toolkit. Opting in shows what is collected now, so the next
    /// run of a tool collects; opting out erases the toolkit's install ID and unsent events.
    /// </summary>
    /// <returns>The exit code: 0, or 1 when the decision could not be saved.</returns>
    public static int ChangeConsent(bool optIn, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            CandorSettings.Open().SetLevel(optIn ? TelemetryLevel.All : TelemetryLevel.Off, Product);
        }
        catch (IOException e)
        {
            error.WriteLine($"opt_in_out: the decision could not be saved: {e.Message}");
            return 1;
        }

        ConsentDecision? overruled = null;
        if (optIn)
        {
            // Building the client shows the notice when this user has not seen it yet, and records that they have;
            // it tracks nothing. It also says whether something stronger than the choice (DO_NOT_TRACK, a
            // machine policy) keeps telemetry off here and now.
            using var client = CandorClient.Create(new CandorOptions { Assembly = typeof(ToolkitTelemetry).Assembly, DisclosureWriter = error });
            // The run that shows the notice collects nothing by design; that is not something overruling the choice.
            overruled = client.Consent.Level == TelemetryLevel.All || client.Consent.Source == ConsentSource.FirstRunDisclosure ? null : client.Consent;
        }

        output.WriteLine(optIn
            ? "Telemetry is on for every Model Toolkit tool. Stop it with 'opt_in_out --opt_out'."
            : "Telemetry is off for every Model Toolkit tool; its install ID and unsent data on this machine were erased.");
        if (overruled is not null)
        {
            output.WriteLine($"Note: here and now {overruled.Detail}, so nothing is collected until that changes.");
        }

        return 0;
    }
}
