using System.Text.Json;
using Candor;

namespace Kpm;

/// <summary>
/// Installs, removes and lists packages in a kpm root, and records what kmpkg's page says it records: the full
/// set of packages to install, the feature flags in effect, metrics of the plan, and each package's build time.
/// Nothing it records goes into the packages it builds.
/// </summary>
internal sealed class Installer(string root, TextWriter output, TextWriter error, CandorClient telemetry)
{
    public const string InstalledFolder = "installed";
    public const string ArchivesFolder = "archives";

    public static readonly string[] Triplets = ["x64-linux", "x64-windows", "x64-osx", "arm64-osx"];

    private readonly PortCatalog _ports = new(root);

    public int Install(IReadOnlyList<string> requested, string triplet, FeatureFlags flags, bool dryRun)
    {
        if (requested.Count == 0 && !TryReadProjectManifest(flags, out requested))
        {
            return 2;
        }

        var plan = new List<Port>();
        foreach (var name in requested)
        {
            if (!PortCatalog.IsName(name))
            {
                error.WriteLine($"kpm: '{name}' is not a package name.");
                return 2;
            }

            if (!AddToPlan(name, plan, []))
            {
                return 1;
            }
        }

        output.WriteLine($"The following packages will be built and installed for {triplet}:");
        foreach (var port in plan)
        {
            output.WriteLine($"    {port.Name}:{triplet}@{port.Version}");
        }

        var restored = 0;
        if (!dryRun)
        {
            foreach (var port in plan)
            {
                restored += Build(port, triplet, flags) ? 0 : 1;
            }

            output.WriteLine($"Installed {plan.Count} packages ({restored} restored from the binary cache).");
        }

        // kmpkg's "full set of libraries to install", its feature flags (track_feature) and metrics (track_metric).
        telemetry.Event("install")
            .With("packages", plan.Select(p => p.Name))
            .With("triplet", triplet)
            .With("dryRun", dryRun)
            .With("feature.binarycaching", flags.BinaryCaching)
            .With("feature.manifests", flags.Manifests)
            .With("feature.versions", flags.Versions)
            .With("packageCount", plan.Count)
            .With("binaryCacheHits", restored)
            .Track();
        return 0;
    }

    public int Remove(IReadOnlyList<string> names, string triplet)
    {
        foreach (var name in names)
        {
            var folder = PackageFolder(name, triplet);
            if (!PortCatalog.IsName(name) || !Directory.Exists(folder))
            {
                error.WriteLine($"kpm: {name}:{triplet} is not installed.");
                return 1;
            }

            Directory.Delete(folder, recursive: true);
            output.WriteLine($"Removed {name}:{triplet}.");
        }

        return 0;
    }

    public int List()
    {
        var installed = Path.Combine(root, InstalledFolder);
        if (!Directory.Exists(installed))
        {
            return 0;
        }

        foreach (var triplet in Directory.EnumerateDirectories(installed).Order(StringComparer.Ordinal))
        {
            foreach (var package in Directory.EnumerateDirectories(triplet).Order(StringComparer.Ordinal))
            {
                output.WriteLine($"{Path.GetFileName(package)}:{Path.GetFileName(triplet)}");
            }
        }

        return 0;
    }

    // Manifest mode: the project's kpm.json names its dependencies. Its name, version, authors and repository are
    // the project's own business: kpm reads the dependencies only and records nothing of the project.
    private bool TryReadProjectManifest(FeatureFlags flags, out IReadOnlyList<string> dependencies)
    {
        dependencies = [];
        var file = Path.Combine(root, "kpm.json");
        if (!flags.Manifests || !File.Exists(file))
        {
            error.WriteLine("kpm: name the packages to install, or add a kpm.json with the project's dependencies.");
            return false;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(file));
        dependencies = document.RootElement.TryGetProperty("dependencies", out var list) ? [.. list.EnumerateArray().Select(d => d.GetString() ?? "")] : [];
        return true;
    }

    private bool AddToPlan(string name, List<Port> plan, HashSet<string> visiting)
    {
        if (plan.Any(p => p.Name == name))
        {
            return true;
        }

        if (!visiting.Add(name))
        {
            error.WriteLine($"kpm: the dependencies of '{name}' form a cycle.");
            return false;
        }

        if (_ports.Find(name) is not { } port)
        {
            error.WriteLine($"kpm: there is no port named '{name}'.");
            return false;
        }

        foreach (var dependency in port.Dependencies)
        {
            if (!PortCatalog.IsName(dependency) || !AddToPlan(dependency, plan, visiting))
            {
                return false;
            }
        }

        plan.Add(port);
        return true;
    }

    // Returns whether the package was built (false: restored from the binary cache). A build is timed and
    // recorded (kmpkg's track_buildtime); a restore is not a build.
    private bool Build(Port port, string triplet, FeatureFlags flags)
    {
        var archive = Path.Combine(root, ArchivesFolder, triplet, $"{port.Name}-{port.Version}.lib");
        var folder = PackageFolder(port.Name, triplet);
        Directory.CreateDirectory(Path.Combine(folder, "lib"));
        Directory.CreateDirectory(Path.Combine(folder, "include"));
        var library = Path.Combine(folder, "lib", $"lib{port.Name}.a");
        if (flags.BinaryCaching && File.Exists(archive))
        {
            File.Copy(archive, library, overwrite: true);
            output.WriteLine($"Restored {port.Name}:{triplet} from the binary cache.");
            return false;
        }

        var started = TimeProvider.System.GetTimestamp();
        output.WriteLine($"Building {port.Name}:{triplet}...");
        File.WriteAllText(Path.Combine(folder, "include", port.Name + ".h"), $"#pragma once\n#define {port.Name.Replace('-', '_').ToUpperInvariant()}_VERSION \"{port.Version}\"\n");
        File.WriteAllText(library, $"!<arch>\n{port.Name} {port.Version} {triplet}\n");
        if (flags.BinaryCaching)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
            File.Copy(library, archive, overwrite: true);
        }

        telemetry.Event("build")
            .With("package", port.Name)
            .With("triplet", triplet)
            .With("buildTime", TimeProvider.System.GetElapsedTime(started))
            .Track();
        return true;
    }

    private string PackageFolder(string name, string triplet) => Path.Combine(root, InstalledFolder, triplet, name);
}
