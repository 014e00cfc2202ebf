using System.CommandLine;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Manifest;

namespace Candor.CommandLine.Commands;

/// <summary>
/// A tool's own <c>telemetry</c> command group: <c>status</c>, <c>enable</c>, <c>disable</c>, <c>local</c>,
/// <c>errors</c>, <c>show</c>, <c>events</c> and <c>reset-id</c>, for the tool's product only. These commands
/// are never tracked and never show the first-run notice: managing telemetry is not using the tool.
/// </summary>
internal static class TelemetryCommand
{
    /// <param name="name">The group's name (<c>telemetry</c>).</param>
    /// <param name="manifest">The tool's manifest.</param>
    /// <param name="machine">The machine to inspect and change, reached when a command runs (<see cref="CandorMachine.ForProcess"/> in a tool).</param>
    /// <param name="optOut">The tool's opt-out option, so <c>status</c> can say that it decides this run.</param>
    /// <param name="canSend">Whether this build can send (it has an ingestion key), asked when <c>status</c> runs.</param>
    public static Command Create(string name, TelemetryManifest manifest, Func<CandorMachine> machine, Option<bool> optOut, Func<bool> canSend)
    {
        var product = manifest.Product;
        var group = new Command(name, $"See and change what {manifest.Name} collects about its use.");

        var statusJson = SharedOptions.Json();
        var status = new Command("status", "Show whether telemetry is on, what decided it, the install ID and where the files are.") { statusJson };
        status.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(statusJson));
            var current = machine();
            var flag = parseResult.GetResult(optOut) is { Implicit: false } given && parseResult.GetValue(optOut)
                ? given.IdentifierToken?.Value ?? optOut.Name
                : null;
            var state = current.Status(product, manifest, flag, canSend());
            if (output.Json)
            {
                output.WriteJson(json => Reports.WriteStatus(json, state));
            }
            else
            {
                Reports.WriteStatus(output, state, current.Home?.SettingsFile ?? current.HomeProblem);
            }

            return ExitCodes.Success;
        });
        group.Subcommands.Add(status);

        foreach (var (verb, level, description) in LevelChange.Verbs)
        {
            var json = SharedOptions.Json();
            var change = new Command(verb, description) { json };
            change.SetAction(parseResult => LevelChange.Apply(CommandOutput.For(parseResult, parseResult.GetValue(json)), machine(), level, product, manifest, canSend()));
            group.Subcommands.Add(change);
        }

        var showJson = new Option<bool>("--json") { Description = "Write the manifest itself (JSON) instead of the page." };
        var show = new Command("show", $"Show everything {manifest.Name} may collect and why: the page generated from its manifest.") { showJson };
        show.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(showJson));
            output.Out.Write(output.Json ? manifest.Json.TrimEnd() + Environment.NewLine : PrivacyPage.ToMarkdown(manifest));
            return ExitCodes.Success;
        });
        group.Subcommands.Add(show);

        var eventsJson = SharedOptions.Json();
        var since = SharedOptions.Since(TimeProvider.System);
        var events = new Command("events", "List the events sent from this machine (and those kept locally), exactly as they were sent.") { eventsJson, since };
        events.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(eventsJson));
            var logged = machine().Events(product, parseResult.GetValue(since));
            Reports.WriteEvents(output, product, logged);
            if (!output.Json && logged.Count == 0)
            {
                output.Line($"No event of {product} was sent from this machine{(parseResult.GetValue(since) is null ? "" : " in that time")}.");
            }

            return ExitCodes.Success;
        });
        group.Subcommands.Add(events);

        var resetJson = SharedOptions.Json();
        var reset = new Command("reset-id", "Replace the install ID with a new random one, so later events cannot be linked to earlier ones.") { resetJson };
        reset.SetAction(parseResult => ResetId(CommandOutput.For(parseResult, parseResult.GetValue(resetJson)), machine(), product));
        group.Subcommands.Add(reset);

        return group;
    }

    /// <summary><c>reset-id</c>, shared with the <c>candor</c> tool.</summary>
    public static int ResetId(CommandOutput output, CandorMachine machine, string product)
    {
        var before = machine.Status(product, manifest: null).Identity;
        Identity.InstallIdentity? after;
        try
        {
            after = machine.ResetId(product);
        }
        catch (IOException ex)
        {
            return output.Fail($"Could not reset the install ID: {ex.Message}");
        }

        if (output.Json)
        {
            output.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("product", product);
                Reports.WriteNullable(json, "previous", before?.Install.ToString());
                Reports.WriteNullable(json, "install", after?.Install.ToString());
                json.WriteEndObject();
            });
        }
        else if (after is null)
        {
            output.Line($"{product} has no install ID on this machine: there is nothing to reset.");
        }
        else
        {
            output.Line($"{output.Strong(product)}'s install ID is now {after.Install} (was {before?.Install}).");
            output.Line("Events sent before keep the old ID; forget them with 'candor forget'.");
        }

        return ExitCodes.Success;
    }
}
