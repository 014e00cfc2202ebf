using System.Collections.Concurrent;
using System.Globalization;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Tells, per product, whether its stored data changed: each batch with a stored event, and each deletion, moves
/// the product's version on. A dashboard page remembers the version it was computed from; a page whose version is
/// no longer the current one is computed again, and an open page asks for the version to know when to reload.
/// The versions are this process's own: they start anew at each start (with a random prefix, so a page from
/// before a restart never matches), and another collector sharing the store does not move them.
/// </summary>
internal sealed class ProductDataVersions
{
    private readonly string _epoch = Random.Shared.NextInt64().ToString("x", CultureInfo.InvariantCulture);
    private readonly ConcurrentDictionary<string, long> _changes = new(StringComparer.Ordinal);

    /// <summary>The product's current version: changes whenever <see cref="Changed"/> is called for it.</summary>
    public string Current(string product) => $"{_epoch}.{_changes.GetValueOrDefault(product).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Records that the product's stored data changed (events were committed, or some were deleted).</summary>
    public void Changed(string product) => _changes.AddOrUpdate(product, 1, static (_, n) => n + 1);
}
