using Candor.Collector.Operations;
using Candor.Collector.Products;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Computed product pages, kept for a short while. A page reads a few dozen rollup queries; over tens of millions
/// of events that takes seconds, which is fine once a minute but not on every click. A page younger than
/// <see cref="DashboardOptions.FreshFor"/> is shown as it is; an older one (up to
/// <see cref="DashboardOptions.ServeStaleFor"/>) is shown at once while a new one is computed in the background.
/// Pages of products with no data at all are never kept, so a team sending its first event sees it at once.
/// A page computed before new events of its product were stored (<see cref="ProductDataVersions"/>) is never
/// shown again: the next request computes it anew and waits for it, so the page shows what the query API answers.
/// Concurrent requests for the same page share one computation, so steady ingestion costs at most one computation
/// of a page at a time. Deleting an install's data forgets the product's
/// pages at once (<see cref="Forget"/>), so the figures of a deleted install are never shown again.
/// </summary>
internal sealed class ProductViews(ProductViewBuilder builder, ProductDataVersions versions, TimeProvider time, IOptions<DashboardOptions> options, ILogger<ProductViews> logger)
{
    private const int MaxPages = 200;

    private readonly Dictionary<PageKey, Entry> _pages = [];

    // Per product, how many times its data was deleted: part of every page's key, so a page computed before a
    // deletion (even one still being computed as it happened) is never found again.
    private readonly Dictionary<string, int> _deletions = [];
    private readonly Lock _lock = new();

    /// <summary>The page for a product and filter: kept, refreshed in the background, or computed now (the caller waits).</summary>
    public async Task<ProductView> GetAsync(CatalogProduct product, DashboardFilter filter, CancellationToken cancellationToken)
    {
        Task<ProductView> page;
        lock (_lock)
        {
            // The threshold and the manifests are part of the key: raising k must hide groups at once.
            var name = product.Record.Name;
            var key = new PageKey(name, product.Record.KThreshold, product.Revisions.Count, _deletions.GetValueOrDefault(name), filter);
            // Read before the computation starts: events stored while it runs make the page out of date, not lost.
            var version = versions.Current(name);
            if (!_pages.TryGetValue(key, out var entry) || !Usable(entry, version))
            {
                // The computation belongs to no request: one reader closing the tab must not cancel the page for
                // the others waiting on it.
                entry = new Entry(BuildAsync(product, filter, version), version);
                _pages[key] = entry;
                Trim();
                _ = KeepIfUsefulAsync(key, entry);
            }
            else if (entry.Current.IsCompletedSuccessfully && entry.Refresh is null && time.GetUtcNow() - entry.Current.Result.ComputedAt > options.Value.FreshFor)
            {
                entry.Refresh = BuildAsync(product, filter, version);
                _ = ReplaceWhenDoneAsync(key, entry, entry.Refresh);
            }

            page = entry.Current;
        }

        return await page.WaitAsync(cancellationToken);
    }

    /// <summary>The version of the product's data a page computed now would show (see <see cref="ProductDataVersions"/>).</summary>
    public string DataVersion(string product) => versions.Current(product);

    /// <summary>Drops every kept page of <paramref name="product"/>: some of its data was deleted.</summary>
    public void Forget(string product)
    {
        lock (_lock)
        {
            _deletions[product] = _deletions.GetValueOrDefault(product) + 1;
            versions.Changed(product);
            foreach (var key in _pages.Keys.Where(k => k.Product == product).ToList())
            {
                _pages.Remove(key);
            }
        }
    }

    // A page being computed is joined even when newer events arrived meanwhile (its readers then see a version that
    // is not the current one, and an open page reloads once more); a computed page must show the current data.
    private bool Usable(Entry entry, string version) =>
        !entry.Current.IsCompleted
        || entry.Current.IsCompletedSuccessfully
            && entry.Version == version
            && time.GetUtcNow() - entry.Current.Result.ComputedAt <= options.Value.ServeStaleFor;

    private async Task<ProductView> BuildAsync(CatalogProduct product, DashboardFilter filter, string version) =>
        (await builder.BuildAsync(product, filter, CancellationToken.None)) with { DataVersion = version };

    private async Task KeepIfUsefulAsync(PageKey key, Entry entry)
    {
        try
        {
            if ((await entry.Current).HasAnyData)
            {
                return;
            }
        }
        catch (Exception ex)
        {
            DashboardLog.RefreshFailed(logger, key.Product, ex);
        }

        Remove(key, entry);
    }

    private async Task ReplaceWhenDoneAsync(PageKey key, Entry entry, Task<ProductView> refresh)
    {
        ProductView view;
        try
        {
            view = await refresh;
        }
        catch (Exception ex)
        {
            DashboardLog.RefreshFailed(logger, key.Product, ex);
            lock (_lock)
            {
                entry.Refresh = null;
            }

            return;
        }

        lock (_lock)
        {
            if (_pages.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
            {
                _pages[key] = new Entry(refresh, view.DataVersion);
            }
        }

        if (!view.HasAnyData)
        {
            Remove(key, null);
        }
    }

    private void Remove(PageKey key, Entry? only)
    {
        lock (_lock)
        {
            if (_pages.TryGetValue(key, out var current) && (only is null || ReferenceEquals(current, only)))
            {
                _pages.Remove(key);
            }
        }
    }

    private void Trim()
    {
        while (_pages.Count > MaxPages)
        {
            var oldest = _pages.MinBy(p => p.Value.Current.IsCompletedSuccessfully ? p.Value.Current.Result.ComputedAt : DateTimeOffset.MaxValue);
            _pages.Remove(oldest.Key);
        }
    }

    private sealed record PageKey(string Product, int K, int Revisions, int Deletions, DashboardFilter Filter);

    private sealed class Entry(Task<ProductView> current, string version)
    {
        public Task<ProductView> Current { get; } = current;

        /// <summary>The version of the product's data that <see cref="Current"/> was computed from.</summary>
        public string Version { get; } = version;

        public Task<ProductView>? Refresh { get; set; }
    }
}

/// <summary>Computes each product's default page ahead of time, at start and then every <see cref="DashboardOptions.WarmEvery"/>.</summary>
internal sealed class DashboardWarmup(ProductViews views, ProductCatalog catalog, TimeProvider time, IOptions<DashboardOptions> options, ILogger<DashboardWarmup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = options.Value.WarmEvery;
        if (every <= TimeSpan.Zero)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var product in catalog.All)
            {
                try
                {
                    await views.GetAsync(product, DashboardFilter.Default(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime)), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    DashboardLog.RefreshFailed(logger, product.Record.Name, ex);
                }
            }

            try
            {
                await Task.Delay(every, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

internal static partial class DashboardLog
{
    [LoggerMessage(20, LogLevel.Warning, "Computing the dashboard page of {Product} failed; the previous figures stay until the next try")]
    public static partial void RefreshFailed(ILogger logger, string product, Exception exception);

    [LoggerMessage(21, LogLevel.Information, "Dashboard sign-in by {Actor}")]
    public static partial void SignedIn(ILogger logger, string actor);

    [LoggerMessage(22, LogLevel.Information, "Dashboard sign-in refused: the token is not a live reader or admin token")]
    public static partial void SignInRefused(ILogger logger);
}
