using System.Collections.Immutable;
using Candor.Collector.Storage;
using Candor.Manifest;

namespace Candor.Collector.Products;

/// <summary>A registered product with every manifest revision it has registered.</summary>
internal sealed record CatalogProduct(ProductRecord Record, ImmutableSortedDictionary<int, TelemetryManifest> Revisions)
{
    public TelemetryManifest Latest => Revisions.Values.Last();

    /// <summary>Every revision's declaration of a field, newest first (queries accept a field any revision declared).</summary>
    public IEnumerable<FieldDefinition> FindFields(string? eventName, string field) =>
        Revisions.Values.Reverse()
            .SelectMany(m => eventName is null ? m.Events : m.Find(eventName) is { } e ? [e] : [])
            .Select(e => e.Find(field))
            .OfType<FieldDefinition>();

    public bool DeclaresEvent(string eventName) => Revisions.Values.Any(m => m.Find(eventName) is not null);
}

/// <summary>How a registration went.</summary>
internal enum RegistrationOutcome
{
    /// <summary>A new product.</summary>
    Created,

    /// <summary>A new revision of a known product.</summary>
    RevisionAdded,

    /// <summary>The same revision with the same text: nothing changed but the settings given.</summary>
    Unchanged,

    /// <summary>The revision is already registered with a different text.</summary>
    Conflict,
}

/// <summary>
/// The registered products and their manifests, held in memory for validation on every request and written
/// through to the store. Registrations are serialised; readers see an immutable snapshot.
/// </summary>
internal sealed class ProductCatalog(ICatalogueStore store, TimeProvider time) : IDisposable
{
    public const int DefaultKThreshold = 5;

    /// <summary>
    /// The largest revision registered: the PostgreSQL store keeps revisions as <c>smallint</c>, and both stores take
    /// the same manifests. Revisions count a product's changes up from 1.
    /// </summary>
    public const int MaxRevision = short.MaxValue;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private ImmutableDictionary<string, CatalogProduct> _products = ImmutableDictionary<string, CatalogProduct>.Empty;

    public IEnumerable<CatalogProduct> All => _products.Values.OrderBy(p => p.Record.Name, StringComparer.Ordinal);

    public CatalogProduct? Find(string product) => _products.GetValueOrDefault(product);

    /// <summary>
    /// Reads the products and their manifests from the store, replacing the ones held: at start, and now and then
    /// (<see cref="Access.AccessOptions.RefreshEvery"/>) so that collectors sharing a database see each other's
    /// registrations and settings. A revision already held is not parsed again: a revision's text never changes.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var manifests = (await store.GetManifestsAsync(cancellationToken)).ToLookup(m => m.Product);
            var products = ImmutableDictionary.CreateBuilder<string, CatalogProduct>(StringComparer.Ordinal);
            foreach (var record in await store.GetProductsAsync(cancellationToken))
            {
                var held = Find(record.Name)?.Revisions;
                var revisions = manifests[record.Name].ToImmutableSortedDictionary(
                    m => m.Revision,
                    m => held?.GetValueOrDefault(m.Revision) ?? TelemetryManifest.ParseRegistered(m.Json));
                products[record.Name] = new CatalogProduct(record, revisions);
            }

            _products = products.ToImmutable();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Registers a manifest revision; settings left null keep their current value (or the defaults for a new product).</summary>
    /// <exception cref="ManifestException">The manifest is wrong.</exception>
    public async Task<(RegistrationOutcome Outcome, CatalogProduct Product, TelemetryManifest Manifest)> RegisterAsync(
        string json, int? retentionMonths, int? kThreshold, CancellationToken cancellationToken)
    {
        var manifest = TelemetryManifest.Parse(json);
        if (manifest.Revision > MaxRevision)
        {
            throw new ManifestException([$"'revision' must be at most {MaxRevision} (found {manifest.Revision})"]);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var existing = Find(manifest.Product);
            if (existing is not null && existing.Revisions.TryGetValue(manifest.Revision, out var kept) && kept.Json != json)
            {
                return (RegistrationOutcome.Conflict, existing, manifest);
            }

            var record = new ProductRecord(
                manifest.Product,
                retentionMonths ?? existing?.Record.RetentionMonths ?? manifest.RetentionMonths,
                kThreshold ?? existing?.Record.KThreshold ?? DefaultKThreshold,
                time.GetUtcNow());
            record = await store.SaveProductAsync(record, cancellationToken);
            var added = await store.AddManifestAsync(new ManifestRecord(manifest.Product, manifest.Revision, json, time.GetUtcNow()), cancellationToken);
            var revisions = (existing?.Revisions ?? ImmutableSortedDictionary<int, TelemetryManifest>.Empty).SetItem(
                manifest.Revision, existing?.Revisions.GetValueOrDefault(manifest.Revision) ?? manifest);
            var product = new CatalogProduct(record, revisions);
            _products = _products.SetItem(product.Record.Name, product);
            var outcome = existing is null ? RegistrationOutcome.Created : added ? RegistrationOutcome.RevisionAdded : RegistrationOutcome.Unchanged;
            return (outcome, product, manifest);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    public async Task<CatalogProduct?> UpdateSettingsAsync(string name, int? retentionMonths, int? kThreshold, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Find(name) is not { } existing)
            {
                return null;
            }

            var record = await store.SaveProductAsync(
                existing.Record with
                {
                    RetentionMonths = retentionMonths ?? existing.Record.RetentionMonths,
                    KThreshold = kThreshold ?? existing.Record.KThreshold,
                },
                cancellationToken);
            var product = existing with { Record = record };
            _products = _products.SetItem(name, product);
            return product;
        }
        finally
        {
            _gate.Release();
        }
    }
}
