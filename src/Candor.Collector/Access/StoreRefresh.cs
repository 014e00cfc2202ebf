using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Access;

/// <summary>
/// Reads products and credentials from the store every <see cref="AccessOptions.RefreshEvery"/>: collectors that
/// share one PostgreSQL database each hold them in memory, and an ingestion key created, a token revoked or a k
/// threshold raised through one of them must reach the others without a restart. A SQLite file has one collector,
/// which made every change itself, so there is nothing to read again.
/// </summary>
internal sealed class StoreRefresh(ProductCatalog catalog, CredentialService credentials, TimeProvider time, IOptions<AccessOptions> options, IOptions<StorageOptions> storage, ILogger<StoreRefresh> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RefreshEvery <= TimeSpan.Zero || !storage.Value.UsesPostgres)
        {
            return;
        }

        // The start-up has just read both; each refresh is one interval after the end of the one before, so a
        // clock that jumps ahead (a suspended machine, a test's clock) brings one refresh, not one per interval.
        while (true)
        {
            try
            {
                await Task.Delay(options.Value.RefreshEvery, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await catalog.LoadAsync(stoppingToken);
                await credentials.LoadAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CollectorLog.RefreshFailed(logger, ex);
            }
        }
    }
}
