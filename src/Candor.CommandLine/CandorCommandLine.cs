using System.CommandLine;
using System.CommandLine.Invocation;
using Candor.CommandLine.Commands;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Invocation;
using Candor.Diagnostics;
using Candor.Manifest;
using Candor.Tracking;

namespace Candor.CommandLine;

/// <summary>
/// Candor inside a System.CommandLine tool, as <see cref="CandorRootCommandExtensions.UseCandor"/> sets it up:
/// the opt-out and print options, the <c>telemetry</c> command group, and a client built for each run after the
/// command line is parsed, so an opt-out on the command line reaches the very first event.
/// </summary>
/// <remarks>
/// For every command that runs (never for the bare command, <c>--help</c>, <c>--version</c>, a command line that
/// does not parse, or the <c>telemetry</c> commands) it shows the first-run notice when it is due, runs the
/// command, tracks the invocation event (command path, option names, declared option values, exit code,
/// duration), tracks the crash event with a scrubbed exception signature when the command throws, and disposes
/// the client, which writes what was tracked to the spool within the exit budget.
/// </remarks>
public sealed class CandorCommandLine
{
    private readonly CandorOptions _options;
    private readonly Func<CandorOptions, CandorClient> _createClient;
    private readonly TextWriter? _printWriter;
    private readonly TextWriter? _disclosureWriter;
    private readonly RootCommand _root;
    private readonly CandorCommandLineOptions _commandLine;
    private InvocationPlan _plan;
    private CandorClient? _current;

    internal CandorCommandLine(RootCommand root, CandorOptions options, CandorCommandLineOptions commandLine, Func<CandorMachine> machine)
    {
        Manifest = options.Manifest
            ?? (options.Assembly is { } assembly ? TelemetryManifest.FromAssembly(assembly) : throw new ArgumentException("Set CandorOptions.Assembly (where the manifest is embedded) or CandorOptions.Manifest.", nameof(options)));
        options.Manifest = Manifest;
        _options = options;
        _createClient = commandLine.CreateClient;
        _printWriter = options.PrintWriter;
        _disclosureWriter = options.DisclosureWriter;

        OptOutOption = new Option<bool>(CandorCommandLineOptions.OptOutOptionName, [.. Manifest.OptOutFlags.Where(f => f != CandorCommandLineOptions.OptOutOptionName).Distinct(StringComparer.Ordinal)])
        {
            Description = "Send no telemetry in this run.",
            Recursive = true,
        };
        PrintOption = new Option<bool>(CandorCommandLineOptions.PrintOptionName, commandLine.PrintAlias is { } alias && alias != CandorCommandLineOptions.PrintOptionName ? [alias] : [])
        {
            Description = "Print every telemetry event on standard error, exactly as it is sent.",
            Recursive = true,
        };
        root.Options.Add(OptOutOption);
        root.Options.Add(PrintOption);

        if (commandLine.TelemetryCommandName is { } name)
        {
            TelemetryCommand = Commands.TelemetryCommand.Create(name, Manifest, machine, OptOutOption, () => !string.IsNullOrEmpty(ToolBuild.Key(options, Manifest)));
        }

        _root = root;
        _commandLine = commandLine;
        _plan = Prepare();
        if (TelemetryCommand is not null)
        {
            root.Subcommands.Add(TelemetryCommand);
        }
    }

    /// <summary>The tool's checked manifest.</summary>
    public TelemetryManifest Manifest { get; }

    /// <summary><c>--disable-telemetry</c>, with the manifest's opt-out flags as aliases; recursive.</summary>
    public Option<bool> OptOutOption { get; }

    /// <summary><c>--printmetrics</c>, with the author's alias; recursive.</summary>
    public Option<bool> PrintOption { get; }

    /// <summary>The <c>telemetry</c> command group, or null when the tool left it out.</summary>
    public Command? TelemetryCommand { get; }

    /// <summary>
    /// The client of the command that is running, for the tool's own events. Built after the command line is
    /// parsed, so it honours the opt-out flag; disposed when the command returns.
    /// </summary>
    /// <exception cref="InvalidOperationException">No command of the tool is running.</exception>
    public CandorClient Client => Volatile.Read(ref _current) ?? throw new InvalidOperationException("The Candor client exists only while a command of the tool runs: read it inside a command's action.");

    /// <summary>
    /// The entries for the manifest's <c>events</c> array that fit <paramref name="root"/>'s commands and options
    /// as they are now: the invocation event and the crash event, as JSON to paste. Option values are not
    /// included, except for options whose values are a C# enum (a closed list); add <c>option.NAME</c> fields by
    /// hand for other options whose values are safe to send.
    /// </summary>
    /// <remarks>Call it on the tree before <see cref="CandorRootCommandExtensions.UseCandor"/>, or after: Candor's own options and commands are left out either way.</remarks>
    public static string ManifestEvents(RootCommand root, CandorCommandLineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new CandorCommandLineOptions();
        var group = options.TelemetryCommandName;
        return InvocationPlan.Entries(
            root,
            options,
            command => command is not RootCommand && command.Name == group && command.Parents.Contains(root),
            option => option.Name is CandorCommandLineOptions.OptOutOptionName or CandorCommandLineOptions.PrintOptionName);
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command, tracked. Use it rather than
    /// <c>root.Parse(args).InvokeAsync()</c> when commands get their actions after <c>UseCandor</c> (typically
    /// because the actions use <see cref="Client"/>): it takes in every action the tree has now.
    /// </summary>
    /// <returns>The command's exit code.</returns>
    /// <exception cref="ManifestException">The manifest's invocation event does not list every command and option the tool has now.</exception>
    public Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        _plan = Prepare();
        return _root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>As <see cref="InvokeAsync"/>, blocking until the command returns.</summary>
    /// <returns>The command's exit code.</returns>
    /// <exception cref="ManifestException">The manifest's invocation event does not list every command and option the tool has now.</exception>
    public int Invoke(string[] args, InvocationConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        _plan = Prepare();
        return _root.Parse(args).Invoke(configuration);
    }

    // Checks the manifest against the tree as it is now and wraps every action not wrapped yet.
    private InvocationPlan Prepare()
    {
        var plan = InvocationPlan.Build(_root, Manifest, _commandLine, IsOwn, IsOwn);
        foreach (var (command, _) in CommandTree.Commands(_root, IsOwn).ToList())
        {
            if (command.Action is not (null or TrackedAction))
            {
                command.Action = new TrackedAction(this, command.Action);
            }
        }

        return plan;
    }

    private bool IsOwn(Command command) => ReferenceEquals(command, TelemetryCommand);

    private bool IsOwn(Option option) => ReferenceEquals(option, OptOutOption) || ReferenceEquals(option, PrintOption);

    internal async Task<int> RunAsync(ParseResult parseResult, CommandLineAction inner, CancellationToken cancellationToken)
    {
        _options.CommandLineOptOut = parseResult.GetResult(OptOutOption) is { Implicit: false } given && parseResult.GetValue(OptOutOption)
            ? given.IdentifierToken?.Value ?? OptOutOption.Name
            : null;
        _options.PrintEvents = parseResult.GetValue(PrintOption);
        _options.DeferDisclosure = true;
        _options.PrintWriter = _printWriter ?? parseResult.InvocationConfiguration.Error;
        _options.DisclosureWriter = _disclosureWriter ?? parseResult.InvocationConfiguration.Error;

        var client = _createClient(_options);
        await using (client.ConfigureAwait(false))
        {
            // The bare command is not a real command: it shows no notice and is not tracked, like --help.
            var real = parseResult.Tokens.Count > 0;
            if (real)
            {
                client.ShowDisclosureIfNeeded();
            }

            var time = _options.TimeProvider;
            var started = time.GetTimestamp();

            // Begun now, so that the event's time is when the command was invoked (kmpkg's "time of invocation");
            // it is filled in and tracked when the command returns.
            var invocation = real && _plan.Invocation is { } declared ? client.Event(declared.Name) : default;
            Volatile.Write(ref _current, client);
            try
            {
                var exitCode = inner switch
                {
                    SynchronousCommandLineAction synchronous => synchronous.Invoke(parseResult),
                    AsynchronousCommandLineAction asynchronous => await asynchronous.InvokeAsync(parseResult, cancellationToken).ConfigureAwait(false),
                    _ => throw new InvalidOperationException($"A command action of type {inner.GetType().Name} cannot be run."),
                };
                if (real)
                {
                    Track(client, invocation, parseResult, exitCode, crash: null, time.GetElapsedTime(started));
                }

                return exitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Cancelled by the user (Ctrl+C): not a crash. 130 is what System.CommandLine and shells report.
                if (real)
                {
                    Track(client, invocation, parseResult, 130, crash: null, time.GetElapsedTime(started));
                }

                throw;
            }
            catch (Exception ex)
            {
                if (real)
                {
                    Track(client, invocation, parseResult, exitCode: null, ex, time.GetElapsedTime(started));
                }

                throw;
            }
            finally
            {
                Volatile.Write(ref _current, null);
            }
        }
    }

    private void Track(CandorClient client, TelemetryEvent invocation, ParseResult parseResult, int? exitCode, Exception? crash, TimeSpan duration)
    {
        if (_plan.Invocation is null || !client.IsEnabled)
        {
            return;
        }

        try
        {
            var path = CommandTree.PathOf(parseResult);
            var given = CommandTree.GivenOptions(parseResult).Where(o => !IsOwn(o.Option) && !CommandTree.IsBuiltIn(o.Option)).ToList();
            var names = given.Select(o => o.Option.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            Fill(invocation, _plan.Invocation, path, names, given, exitCode, crash: null, duration).Track();
            if (crash is not null && _plan.Crash is { } definition)
            {
                Fill(client.Event(definition.Name), definition, path, names, given, exitCode: null, crash, duration).Track();
            }
        }
        catch (Exception ex)
        {
            // Telemetry never fails the tool; reading a value back from the parse result is the only part that could.
            SelfLog.Failure("tracking a command", ex);
        }
    }

    private TelemetryEvent Fill(TelemetryEvent e, EventDefinition definition, string path, List<string> names, List<System.CommandLine.Parsing.OptionResult> given, int? exitCode, Exception? crash, TimeSpan duration)
    {
        if (definition.Find(InvocationPlan.CommandField) is not null)
        {
            e = e.With(InvocationPlan.CommandField, path);
        }

        if (definition.Find(InvocationPlan.OptionsField) is not null)
        {
            e = e.With(InvocationPlan.OptionsField, names);
        }

        if (exitCode is { } code && definition.Find(InvocationPlan.ExitCodeField) is not null)
        {
            e = e.With(InvocationPlan.ExitCodeField, (double)code);
        }

        if (definition.Find(InvocationPlan.DurationField) is not null)
        {
            e = e.With(InvocationPlan.DurationField, duration);
        }

        if (crash is not null && definition.Find(InvocationPlan.ExceptionField) is not null)
        {
            e = e.With(InvocationPlan.ExceptionField, crash);
        }

        foreach (var option in given)
        {
            if (!_plan.ValueFields.TryGetValue(option.Option.Name, out var name) || definition.Find(name) is not { } field)
            {
                continue;
            }

            e = InvocationPlan.Convert(option.GetValueOrDefault<object?>(), field.Kind) switch
            {
                bool flag => e.With(name, flag),
                string text => e.With(name, text),
                double number => e.With(name, number),
                TimeSpan span => e.With(name, span),
                _ => e,
            };
        }

        return e;
    }

    /// <summary>Runs a command of the tool inside <see cref="RunAsync"/>.</summary>
    private sealed class TrackedAction(CandorCommandLine owner, CommandLineAction inner) : AsynchronousCommandLineAction
    {
        public override Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default) =>
            owner.RunAsync(parseResult, inner, cancellationToken);
    }
}
