using System.Collections.Frozen;
using Candor.Manifest;

namespace Candor.Consent;

/// <summary>
/// The user's choices as read from <c>settings.json</c> at one moment: immutable, so a resolution sees one
/// consistent file even while another process changes it.
/// </summary>
internal sealed class SettingsSnapshot
{
    private readonly FrozenDictionary<string, ProductSettings> _products;

    private SettingsSnapshot(string? machineLevel, FrozenDictionary<string, ProductSettings> products)
    {
        MachineLevel = machineLevel;
        _products = products;
        Products = [.. products.Keys.Where(ManifestBuilder.IdPattern().IsMatch).Order(StringComparer.Ordinal)];
    }

    /// <summary>No file, or a file that could not be read: no choices.</summary>
    public static SettingsSnapshot Empty { get; } = new(null, FrozenDictionary<string, ProductSettings>.Empty);

    /// <summary>The machine-wide level as written (not yet checked), or null when there is no choice.</summary>
    public string? MachineLevel { get; }

    /// <summary>The products seen on this machine or given a choice, sorted.</summary>
    public IReadOnlyList<string> Products { get; }

    /// <summary>The product's own level as written (not yet checked), or null when there is no choice.</summary>
    public string? ProductLevel(string product) => _products.GetValueOrDefault(product)?.Level;

    /// <summary>Whether a run of the product has been recorded as seen.</summary>
    public bool IsSeen(string product) => _products.GetValueOrDefault(product)?.Seen is not null;

    public static SettingsSnapshot From(SettingsDocument document) =>
        new(document.Level, document.Products.ToFrozenDictionary(StringComparer.Ordinal));
}
