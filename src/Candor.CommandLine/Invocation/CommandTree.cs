using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Candor.CommandLine.Invocation;

/// <summary>
/// A tool's commands and options as the automatic events name them. A command is its path of subcommand
/// names from the root, <c>/install</c>, <c>/cache/clean</c>, and <c>/</c> for the root itself; an option is its
/// primary name, <c>--jobs</c>, whichever alias was typed.
/// </summary>
internal static class CommandTree
{
    public const string RootPath = "/";

    /// <summary>
    /// Every command that can run, with its path, depth first: those with an action, and leaves, whose action
    /// the tool may set later. <paramref name="skip"/> and what is under it are left out.
    /// </summary>
    public static IEnumerable<(Command Command, string Path)> Commands(RootCommand root, Func<Command, bool> skip)
    {
        var seen = new HashSet<Command>();
        var pending = new Stack<(Command, string)>();
        pending.Push((root, RootPath));
        while (pending.TryPop(out var item))
        {
            var (command, path) = item;
            if (!seen.Add(command) || skip(command))
            {
                continue;
            }

            if (command.Action is not null || command.Subcommands.Count == 0)
            {
                yield return (command, path);
            }

            foreach (var sub in command.Subcommands.Reverse())
            {
                pending.Push((sub, path == RootPath ? RootPath + sub.Name : path + "/" + sub.Name));
            }
        }
    }

    /// <summary>Every option a tracked command can be given (its own and the recursive ones above it), by name, sorted.</summary>
    public static IReadOnlyList<Option> Options(RootCommand root, Func<Command, bool> skip, Func<Option, bool> exclude)
    {
        var options = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (var (command, _) in WithAncestors(root, skip))
        {
            foreach (var option in command.Options.Where(o => !IsBuiltIn(o) && !exclude(o)))
            {
                options.TryAdd(option.Name, option);
            }
        }

        return [.. options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Value)];
    }

    /// <summary>The path of the command that was parsed.</summary>
    public static string PathOf(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result.Parent is CommandResult parent; result = parent)
        {
            names.Add(result.Command.Name);
        }

        names.Reverse();
        return RootPath + string.Join('/', names);
    }

    /// <summary>The options given on the command line (not defaults), on the parsed command and the commands above it.</summary>
    public static IEnumerable<OptionResult> GivenOptions(ParseResult parseResult)
    {
        for (SymbolResult? result = parseResult.CommandResult; result is CommandResult command; result = command.Parent)
        {
            foreach (var child in command.Children)
            {
                if (child is OptionResult { Implicit: false } option)
                {
                    yield return option;
                }
            }
        }
    }

    /// <summary>Help and version: they never produce an event, so they are never named in one.</summary>
    public static bool IsBuiltIn(Option option) => option is HelpOption or VersionOption;

    // Every command of the tree that is not skipped, including those without an action: their recursive options reach below.
    private static IEnumerable<(Command Command, string Path)> WithAncestors(RootCommand root, Func<Command, bool> skip)
    {
        var seen = new HashSet<Command>();
        var pending = new Stack<Command>();
        pending.Push(root);
        while (pending.TryPop(out var command))
        {
            if (!seen.Add(command) || skip(command))
            {
                continue;
            }

            yield return (command, "");
            foreach (var sub in command.Subcommands)
            {
                pending.Push(sub);
            }
        }
    }
}
