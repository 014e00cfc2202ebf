using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Output;
using Candor.Tool.Commands;
using Candor.Tool.Forgetting;

namespace Candor.Tool;

/// <summary>
/// <c>candor</c>: one place to see and control the telemetry of every Candor-enabled tool of this user on this
/// machine. It sends nothing of its own and shows no notice.
/// </summary>
internal static class CandorTool
{
    /// <summary>Builds the command line over <paramref name="machine"/>.</summary>
    public static RootCommand Create(CandorMachine machine, Func<HttpMessageHandler>? http = null)
    {
        var root = new RootCommand("See and control the telemetry of every Candor-enabled tool on this machine.");
        root.Subcommands.Add(StatusCommand.Create(machine));
        foreach (var command in LevelCommands.Create(machine))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(ShowCommand.Create(machine));
        root.Subcommands.Add(EventsCommand.Create(machine));
        root.Subcommands.Add(PendingCommand.Create(machine));
        root.Subcommands.Add(SendCommand.Create(machine, http));
        root.Subcommands.Add(PurgeCommand.Create(machine));
        root.Subcommands.Add(ForgetCommand.Create(machine, new CollectorDeletion(http)));

        return root;
    }

    /// <summary>
    /// Parses and runs. A command line that does not parse gets one line on standard error and exit code 2,
    /// instead of the full help, so a script's log shows what was wrong.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CandorMachine machine, InvocationConfiguration? configuration = null, Func<HttpMessageHandler>? http = null)
    {
        // The bare command shows the help: it is what someone who has just installed the tool needs. (As the root's
        // action, help would also swallow the errors of every command line it cannot parse.)
        var parseResult = Create(machine, http).Parse(args.Length == 0 ? ["--help"] : args);
        if (parseResult.Errors.Count > 0)
        {
            var error = configuration?.Error ?? Console.Error;
            // The last error is the specific one: "bogus" gives "Required command was not provided", then "Unrecognized ... 'bogus'".
            await error.WriteLineAsync($"candor: {parseResult.Errors[^1].Message.TrimEnd('.')}. See 'candor --help'.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (parseResult.Action is HelpAction)
        {
            return await HelpAsync(parseResult, configuration).ConfigureAwait(false);
        }

        return await parseResult.InvokeAsync(configuration).ConfigureAwait(false);
    }

    // A dotnet tool runs as "dotnet Candor.Tool.dll", so System.CommandLine calls it Candor.Tool in its usage
    // lines, whose layout cannot be customised; users type candor. (The assembly cannot be named candor:
    // assembly names ignore case, and the SDK's is Candor.)
    private static async Task<int> HelpAsync(ParseResult parseResult, InvocationConfiguration? configuration)
    {
        var output = configuration?.Output ?? Console.Out;
        using var help = new StringWriter(CultureInfo.InvariantCulture);
        var exitCode = await parseResult.InvokeAsync(new InvocationConfiguration { Output = help, Error = configuration?.Error ?? Console.Error }).ConfigureAwait(false);
        var lines = help.ToString().Split('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i - 1].StartsWith("Usage:", StringComparison.Ordinal) && lines[i].StartsWith("  " + RootCommand.ExecutableName + " ", StringComparison.Ordinal))
            {
                lines[i] = "  candor " + lines[i][(RootCommand.ExecutableName.Length + 3)..];
            }
        }

        await output.WriteAsync(string.Join('\n', lines)).ConfigureAwait(false);
        return exitCode;
    }
}
