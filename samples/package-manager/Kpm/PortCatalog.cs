using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kpm;

/// <summary>A package kpm can build: from the public registry, or an overlay port of the user's own in <c>ports/NAME/port.json</c>.</summary>
internal sealed record Port(string Name, string Version, IReadOnlyList<string> Dependencies, bool IsPublic);

/// <summary>Finds ports: the public registry first, then the overlay ports in the kpm root.</summary>
internal sealed partial class PortCatalog(string root)
{
    /// <summary>The public registry. Only these names are ever sent as they are (the manifest's allow list holds the same names).</summary>
    public static IReadOnlyList<Port> Registry { get; } =
    [
        new("zlib", "1.3.1", [], IsPublic: true),
        new("fmt", "10.2.1", [], IsPublic: true),
        new("openssl", "3.2.0", [], IsPublic: true),
        new("curl", "8.5.0", ["zlib", "openssl"], IsPublic: true),
        new("sqlite3", "3.45.0", [], IsPublic: true),
        new("boost-json", "1.84.0", [], IsPublic: true),
    ];

    public static bool IsName(string name) => NamePattern().IsMatch(name);

    /// <summary>The port, or null when there is none of that name.</summary>
    /// <exception cref="InvalidDataException">The overlay port's file is damaged.</exception>
    public Port? Find(string name)
    {
        if (Registry.FirstOrDefault(p => p.Name == name) is { } known)
        {
            return known;
        }

        var file = Path.Combine(root, "ports", name, "port.json");
        return File.Exists(file) ? ReadOverlay(name, file) : null;
    }

    private static Port ReadOverlay(string name, string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var port = document.RootElement;
            var dependencies = port.TryGetProperty("dependencies", out var list) ? list.EnumerateArray().Select(d => d.GetString()!).ToArray() : [];
            return new Port(name, port.GetProperty("version").GetString()!, dependencies, IsPublic: false);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // kpm has no recovery for a damaged port: this is a crash, and its message names the user's file.
            throw new InvalidDataException($"The port file {file} is damaged: {ex.Message}", ex);
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex NamePattern();
}
