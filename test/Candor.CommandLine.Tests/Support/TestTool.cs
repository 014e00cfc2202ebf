using System.CommandLine;
using Candor.Manifest;
using Candor.Testing;

namespace Candor.CommandLine.Tests.Support;

/// <summary>A small tool built in the test, with its client's events kept in memory (<see cref="CandorClient.CreateForTesting"/>).</summary>
internal sealed class TestTool
{
    public const string ManifestJson = """
    {
      "product": "tool",
      "disclosure": { "text": "tool collects usage data." },
      "optOut": { "environmentVariables": ["TOOL_NO_TELEMETRY"], "flags": ["--no-telemetry"] },
      "namespaces": ["Candor.CommandLine.Tests"],
      "events": [
        {
          "name": "command", "description": "A command ran.", "purpose": "Usage.",
          "properties": [
            { "name": "command", "kind": "enum", "values": ["/", "/build", "/run", "/fail"], "description": "The command." },
            { "name": "options", "kind": "list", "item": { "kind": "enum", "values": ["--configuration", "--dry-run", "--secret", "--verbosity", "--workers"], "description": "A name." }, "description": "Option names." },
            { "name": "option.configuration", "kind": "enum", "values": ["Debug", "Release"], "description": "The configuration." },
            { "name": "option.dry-run", "kind": "bool", "description": "Whether it was a dry run." }
          ],
          "measurements": [
            { "name": "exitCode", "kind": "number", "unit": "code", "minimum": -1000, "maximum": 1000, "description": "Exit code." },
            { "name": "duration", "kind": "duration", "description": "Duration." },
            { "name": "option.workers", "kind": "number", "unit": "count", "minimum": 1, "maximum": 16, "description": "Workers." }
          ]
        },
        {
          "name": "command-crash", "description": "A command crashed.", "purpose": "Fix crashes.", "level": "error",
          "properties": [
            { "name": "command", "kind": "enum", "values": ["/", "/build", "/run", "/fail"], "description": "The command." },
            { "name": "exception", "kind": "stack", "description": "The signature." }
          ]
        },
        { "name": "built", "description": "A build finished.", "purpose": "Usage." }
      ]
    }
    """;

    public TestTool(string manifestJson = ManifestJson, Dictionary<string, string>? environment = null, CandorCommandLineOptions? commandLine = null, Action<RootCommand>? addMore = null)
    {
        Manifest = TelemetryManifest.Parse(manifestJson);
        Root = new RootCommand("A test tool.");
        var secret = new Option<string?>("--secret");
        var configuration = new Option<string>("--configuration", "-c");
        var dryRun = new Option<bool>("--dry-run");
        var workers = new Option<int>("--workers");
        var verbosity = new Option<Verbosity>("--verbosity") { Recursive = true };
        Root.Options.Add(verbosity);

        var build = new Command("build") { secret, configuration, dryRun, workers };
        build.SetAction(_ =>
        {
            Clock.Advance(TimeSpan.FromMilliseconds(1500));
            Candor!.Client.Track("built");
            return 0;
        });
        var run = new Command("run");
        run.SetAction(async (_, cancellationToken) =>
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return ExitCode;
        });
        var fail = new Command("fail");
        fail.SetAction(_ => Throw());
        Root.Subcommands.Add(build);
        Root.Subcommands.Add(run);
        Root.Subcommands.Add(fail);
        Root.SetAction(_ => 0);
        addMore?.Invoke(Root);

        var options = commandLine ?? new CandorCommandLineOptions();
        options.CreateClient = o => CandorClient.CreateForTesting(Manifest, Sink, environment, o);
        Candor = Root.UseCandor(new CandorOptions { Manifest = Manifest, TimeProvider = Clock, Assembly = typeof(TestTool).Assembly }, options);
    }

    public TelemetryManifest Manifest { get; }

    public RootCommand Root { get; }

    public CandorCommandLine? Candor { get; }

    public InMemorySink Sink { get; } = new();

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock { get; } = new();

    public StringWriter Output { get; } = new();

    public StringWriter Error { get; } = new();

    /// <summary>What the <c>run</c> command returns.</summary>
    public int ExitCode { get; set; }

    public Task<int> InvokeAsync(params string[] args) => InvokeAsync(CancellationToken.None, args);

    public Task<int> InvokeAsync(CancellationToken cancellationToken, params string[] args) =>
        Candor!.InvokeAsync(args, new InvocationConfiguration { Output = Output, Error = Error, EnableDefaultExceptionHandler = true }, cancellationToken);

    private static int Throw() => throw new InvalidOperationException("cannot open /home/someone/secret.txt");

    public enum Verbosity
    {
        Quiet,
        Normal,
        Detailed,
    }
}
