using Candor.Manifest;

namespace Candor.Consent;

/// <summary>
/// The user's choices as read from <c>settings.json</c> at one moment: immutable, so a resolution sees one
/// consistent file even while another process changes it.
/// </summary>
internal sealed class SettingsSnapshot
{
    // Not frozen: freezing loads System.Collections.Immutable at every start-up for one or two lookups.
    private readonly Dictionary<string, ProductSettings> _products;
    private IReadOnlyList<string>? _sorted;

    private SettingsSnapshot(string? machineLevel, Dictionary<string, ProductSettings> products, string? problem = null)
    {
        MachineLevel = machineLevel;
        _products = products;
        Problem = problem;
    }

    /// <summary>No file (or no home): no choices.</summary>
    public static SettingsSnapshot Empty { get; } = new(null, new Dictionary<string, ProductSettings>(StringComparer.Ordinal));

    /// <summary>
    /// Why the file that is there cannot be read, e.g. <c>settings.json is not UTF-8 text</c>; null when it was read
    /// (or is absent). Such a file may hold an opt-out, so the resolver takes it as off.
    /// </summary>
    public string? Problem { get; }

    /// <summary>The machine-wide level as written (not yet checked), or null when there is no choice.</summary>
    public string? MachineLevel { get; }

    /// <summary>The products seen on this machine or given a choice, sorted.</summary>
    /// <remarks>Sorted on first use: only the <c>candor</c> tool asks, and a tool's every run reads the snapshot.</remarks>
    public IReadOnlyList<string> Products =>
        _sorted ??= [.. _products.Keys.Where(p => ManifestBuilder.IdPattern().IsMatch(p)).Order(StringComparer.Ordinal)];

    /// <summary>The product's own level as written (not yet checked), or null when there is no choice.</summary>
    // TryGetValue, not GetValueOrDefault: the extension is in System.Collections, an assembly a run need not load.
    public string? ProductLevel(string product) => Product(product)?.Level;

    /// <summary>Whether a run of the product has been recorded as seen.</summary>
    public bool IsSeen(string product) => Product(product)?.Seen is not null;

    /// <summary>Whether the file was read and turns every product off, named in it or not.</summary>
    public bool TurnsEveryProductOff => Problem is null && SettingsOffMarker.TurnsEveryProductOff(MachineLevel, _products);

    private ProductSettings? Product(string product) => _products.TryGetValue(product, out var settings) ? settings : null;

    /// <summary>A file that is there but cannot be read: no choices known, and <see cref="Problem"/> says why.</summary>
    public static SettingsSnapshot Unreadable(string problem) => new(null, new Dictionary<string, ProductSettings>(StringComparer.Ordinal), problem);

    public static SettingsSnapshot From(SettingsDocument document) =>
        new(document.Level, new Dictionary<string, ProductSettings>(document.Products, StringComparer.Ordinal));
}
