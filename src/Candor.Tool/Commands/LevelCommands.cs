using System.CommandLine;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;

namespace Candor.Tool.Commands;

/// <summary><c>candor enable|disable|local|errors [--product P]</c>: without a product, the machine-wide choice.</summary>
internal static class LevelCommands
{
    public static IEnumerable<Command> Create(CandorMachine machine)
    {
        foreach (var (verb, level, description) in LevelChange.Verbs)
        {
            var json = SharedOptions.Json();
            var product = ProductOption.Create(machine, "Change this product only; without it, every Candor tool of this user on this machine, in every environment.");
            var command = new Command(verb, description) { product, json };
            command.SetAction(parseResult =>
                LevelChange.Apply(CommandOutput.For(parseResult, parseResult.GetValue(json)), machine, level, parseResult.GetValue(product), manifest: null));
            yield return command;
        }
    }
}
