using System.CommandLine;
using Candor;
using Candor.CommandLine;
using Candor.Consent;

namespace Kpm;

/// <summary>
/// <c>kpm</c>, a small C and C++ package manager that reproduces kmpkg's telemetry with Candor, written the way
/// its author would: the commands first, then one <see cref="CandorRootCommandExtensions.UseCandor"/> call, then
/// the actions that record kpm's own events (kmpkg's <c>track_property</c>, <c>track_feature</c>,
/// <c>track_metric</c> and <c>track_buildtime</c>).
/// </summary>
internal static class KpmTool
{
    /// <summary>The tool's command line, with Candor added, working in <paramref name="root"/> (its installed tree and binary cache).</summary>
    public static CandorCommandLine Create(CandorOptions telemetry, string root)
    {
        var command = new RootCommand("kpm: a C and C++ package manager (a Candor sample that reproduces kmpkg's telemetry).");

        var bootstrap = new Command(
            "bootstrap",
            "Prepare this folder for kpm and say what kpm collects. With -disableMetrics, turn kpm's telemetry off for good on this machine.");
        command.Subcommands.Add(bootstrap);

        var packages = new Argument<string[]>("package")
        {
            Description = "The packages to install; none installs the dependencies of kpm.json (manifest mode).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var triplet = TripletOption();
        var featureFlags = new Option<string?>("--feature-flags")
        {
            Description = "Feature flags, comma-separated: binarycaching, manifests, versions; '-name' turns one off. Also KPM_FEATURE_FLAGS.",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the install plan and install nothing." };
        var install = new Command("install", "Build and install packages and their dependencies.") { packages, triplet, featureFlags, dryRun };
        command.Subcommands.Add(install);

        var removed = new Argument<string[]>("package") { Description = "The packages to remove.", Arity = ArgumentArity.OneOrMore };
        var removeTriplet = TripletOption();
        var remove = new Command("remove", "Remove installed packages.") { removed, removeTriplet };
        command.Subcommands.Add(remove);

        var list = new Command("list", "List the installed packages.");
        command.Subcommands.Add(list);

        var term = new Argument<string?>("term") { Description = "Part of a package name.", Arity = ArgumentArity.ZeroOrOne };
        var search = new Command("search", "Search the packages of the public registry.") { term };
        command.Subcommands.Add(search);

        var candor = command.UseCandor(telemetry);

        // The actions use candor.Client for kpm's own events, so they are set once UseCandor has returned.
        bootstrap.SetAction(parseResult => Bootstrap(parseResult, candor, root));
        install.SetAction(parseResult =>
        {
            var flags = FeatureFlags.Parse(Environment.GetEnvironmentVariable(FeatureFlags.Variable), parseResult.GetValue(featureFlags));
            var installer = new Installer(root, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, candor.Client);
            return installer.Install(parseResult.GetValue(packages) ?? [], parseResult.GetRequiredValue(triplet), flags, parseResult.GetValue(dryRun));
        });
        remove.SetAction(parseResult =>
        {
            var installer = new Installer(root, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, candor.Client);
            return installer.Remove(parseResult.GetRequiredValue(removed), parseResult.GetRequiredValue(removeTriplet));
        });
        list.SetAction(parseResult =>
        {
            var installer = new Installer(root, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, candor.Client);
            return installer.List();
        });
        search.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            foreach (var port in PortCatalog.Registry.Where(p => p.Name.Contains(parseResult.GetValue(term) ?? "", StringComparison.OrdinalIgnoreCase)))
            {
                output.WriteLine($"{port.Name,-12} {port.Version}");
            }

            return 0;
        });
        return candor;
    }

    private static Option<string> TripletOption()
    {
        var triplet = new Option<string>("--triplet") { Description = "The target platform.", DefaultValueFactory = _ => "x64-linux" };
        triplet.AcceptOnlyFromAmong(Installer.Triplets);
        return triplet;
    }

    // kmpkg's bootstrap script writes a file that turns metrics off for good. kpm keeps that choice where every
    // Candor tool keeps it (settings.json in the user's Candor home), so 'kpm telemetry status' and 'candor status'
    // show it and 'kpm telemetry enable' undoes it. An opt-out flag on the command line also keeps this very run
    // silent: no notice, no install ID, no event.
    private static int Bootstrap(ParseResult parseResult, CandorCommandLine candor, string root)
    {
        var output = parseResult.InvocationConfiguration.Output;
        Directory.CreateDirectory(Path.Combine(root, Installer.InstalledFolder));
        Directory.CreateDirectory(Path.Combine(root, Installer.ArchivesFolder));
        if (parseResult.GetValue(candor.OptOutOption))
        {
            try
            {
                CandorSettings.Open().SetLevel(TelemetryLevel.Off, candor.Manifest.Product);
            }
            catch (IOException ex)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"kpm: could not turn telemetry off: {ex.Message}");
                return 1;
            }

            output.WriteLine("Telemetry is off for kpm on this machine, for good. 'kpm telemetry enable' turns it back on.");
        }

        output.WriteLine($"kpm is ready in {root}.");
        return 0;
    }
}
