using System.CommandLine;
using Candor.CommandLine;

namespace Candor.Samples.Cli;

/// <summary>
/// <c>pack</c>, a small package manager in the style of the seeds' command-line tools, that uses Candor the way
/// an author would: its commands first, then one <see cref="CandorRootCommandExtensions.UseCandor"/> call.
/// </summary>
public static class PackTool
{
    private static readonly string[] Available = ["zlib", "openssl", "fmt", "curl", "broken"];

    /// <summary>The tool's command line, with Candor added; run it with <see cref="CandorCommandLine.InvokeAsync"/>.</summary>
    /// <param name="telemetry">The Candor options: the assembly that embeds the manifest, and for an official build its collector.</param>
    /// <param name="createClient">How the client is built; the tool's tests pass one that calls <see cref="CandorClient.CreateForTesting"/>.</param>
    public static CandorCommandLine Create(CandorOptions telemetry, Func<CandorOptions, CandorClient>? createClient = null)
    {
        var root = new RootCommand("pack: installs packages (a Candor sample).");
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Say more.", Recursive = true };
        root.Options.Add(verbose);

        var package = new Argument<string>("package") { Description = "The package to install." };
        var triplet = new Option<string>("--triplet", "-t") { Description = "The target platform.", DefaultValueFactory = _ => "x64-linux" };
        triplet.AcceptOnlyFromAmong("x64-linux", "x64-windows", "arm64-osx");
        var jobs = new Option<int>("--jobs", "-j") { Description = "How many downloads run at once.", DefaultValueFactory = _ => 4 };
        var token = new Option<string?>("--token") { Description = "A token for a private feed." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use the binary cache." };
        var install = new Command("install", "Install a package.") { package, triplet, jobs, token, noCache };
        root.Subcommands.Add(install);

        var list = new Command("list", "List the packages that can be installed.");
        list.SetAction(parseResult =>
        {
            foreach (var name in Available.Where(n => n != "broken"))
            {
                parseResult.InvocationConfiguration.Output.WriteLine(name);
            }
        });
        root.Subcommands.Add(list);

        var clean = new Command("clean", "Empty the download cache.");
        clean.SetAction(parseResult => parseResult.InvocationConfiguration.Output.WriteLine("The download cache is empty."));
        root.Subcommands.Add(new Command("cache", "Manage the download cache.") { clean });

        var commandLine = new CandorCommandLineOptions { PrintAlias = "--print-telemetry" };
        if (createClient is not null)
        {
            commandLine.CreateClient = createClient;
        }

        var candor = root.UseCandor(telemetry, commandLine);

        // The install action uses the Candor client for its own event, so it is set once UseCandor has returned;
        // candor.InvokeAsync takes it in.
        install.SetAction(parseResult => Install(parseResult, candor, package, triplet, jobs, noCache, verbose));
        return candor;
    }

    private static int Install(ParseResult parseResult, CandorCommandLine candor, Argument<string> package, Option<string> triplet, Option<int> jobs, Option<bool> noCache, Option<bool> verbose)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var name = parseResult.GetRequiredValue(package);
        var target = parseResult.GetRequiredValue(triplet);
        if (!Available.Contains(name))
        {
            parseResult.InvocationConfiguration.Error.WriteLine($"pack: there is no package named '{name}'.");
            return 3;
        }

        if (name == "broken")
        {
            // A crash whose message carries a path: Candor keeps the exception type and pack's own frames only.
            Unpack(Path.Combine(Path.GetTempPath(), "pack", "downloads", name + ".tar.gz"));
        }

        if (parseResult.GetValue(verbose))
        {
            output.WriteLine($"Downloading {name} with {parseResult.GetValue(jobs)} jobs...");
        }

        var cached = !parseResult.GetValue(noCache);
        output.WriteLine($"Installed {name} for {target}{(cached ? " from the binary cache" : "")}.");
        candor.Client.Event("install")
            .With("package", name)
            .With("triplet", target)
            .With("cached", cached)
            .Track();
        return 0;
    }

    private static void Unpack(string archive) =>
        throw new InvalidDataException($"The archive {archive} is damaged.");
}
