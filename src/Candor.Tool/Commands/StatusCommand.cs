using System.CommandLine;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Consent;

namespace Candor.Tool.Commands;

/// <summary>
/// <c>candor status</c>: the machine-wide choice, the home's files that Candor set aside or cannot use, then every
/// product with its level and why.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CandorMachine machine)
    {
        var json = SharedOptions.Json();
        var product = ProductOption.Create(machine, "Show this product only.");
        var command = new Command("status", "Show every Candor tool seen on this machine: its telemetry level, what decided it, and the machine-wide choice.") { product, json };
        command.SetAction(parseResult =>
        {
            var output = CommandOutput.For(parseResult, parseResult.GetValue(json));
            var asked = parseResult.GetValue(product);
            var products = ProductOption.Selected(machine, asked);

            // A product this machine knows nothing about has no level to show: say so, and fail as a script expects.
            if (asked is not null && !machine.Products().Contains(asked, StringComparer.Ordinal))
            {
                return output.Fail($"candor: nothing is known about '{asked}' on this machine: no run of it was seen here and no choice was made for it. 'candor status' lists the products this machine knows.");
            }

            var states = products.Select(p => machine.Status(p, machine.Record(p)?.Manifest)).ToList();
            var policy = machine.ReadPolicy();
            var machineChoice = machine.Settings.GetLevel();
            var issues = machine.FileIssues(products);
            if (output.Json)
            {
                output.WriteJson(writer =>
                {
                    writer.WriteStartObject();
                    Reports.WriteNullable(writer, "home", machine.Home?.Root);
                    Reports.WriteNullable(writer, "homeProblem", machine.HomeProblem);
                    Reports.WriteNullable(writer, "machineChoice", machineChoice is { } level ? Reports.Text(level) : null);
                    writer.WriteStartObject("policy");
                    writer.WriteString("path", policy.Path);
                    writer.WriteBoolean("forcesOff", policy.ForcesOff);
                    writer.WriteString("detail", policy.Detail);
                    writer.WriteEndObject();
                    writer.WritePropertyName("files");
                    Reports.WriteFileIssues(writer, issues);
                    writer.WriteStartArray("products");
                    foreach (var state in states)
                    {
                        Reports.WriteStatus(writer, state);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
                return ExitCodes.Success;
            }

            output.Line($"home          {machine.Home?.Root ?? machine.HomeProblem}");
            output.Line($"machine-wide  {(machineChoice is { } choice ? Reports.Level(output, choice) : "none")} {output.Dim(machineChoice is null ? "(each product follows its own default)" : "(for every product without its own choice)")}");
            if (policy.ForcesOff)
            {
                output.Line($"policy        {output.Notable(policy.Detail)}");
            }

            Reports.WriteFileIssues(output, issues);
            foreach (var state in states)
            {
                output.Line();
                Reports.WriteStatus(output, state, settingsFile: null);
            }

            if (states.Count == 0)
            {
                output.Line();
                output.Line("No Candor-enabled tool has run with telemetry on for this user yet.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
