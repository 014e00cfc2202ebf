using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Retention;

/// <summary>
/// Deletes each product's raw events older than its retention, and rollups older than theirs, and logs how many; then
/// has the store prepare the day rollups its queries read, and remove what deletions left in its files in time for
/// <see cref="RetentionOptions.ErasureCompaction"/>.
/// </summary>
internal sealed class RetentionJob(
    ProductCatalog catalog,
    IEventLog eventLog,
    IRollupReader rollupReader,
    TimeProvider time,
    IOptions<RetentionOptions> options,
    ILogger<RetentionJob> logger)
{
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rollupCutoff = DateOnly.FromDateTime(now.AddMonths(-options.Value.RollupMonths).UtcDateTime);
        foreach (var product in catalog.All)
        {
            var cutoff = now.AddMonths(-product.Record.RetentionMonths);
            var events = await eventLog.DeleteEventsBeforeAsync(product.Record.Name, cutoff, cancellationToken);
            var rollups = await eventLog.DeleteRollupsBeforeAsync(product.Record.Name, rollupCutoff, cancellationToken);
            CollectorLog.RetentionApplied(logger, product.Record.Name, events, cutoff, rollups, rollupCutoff);

            // Days that closed since the last run (and, after a start, every day never queried) get their day
            // rollups now rather than on the first query that reads them.
            await rollupReader.PrepareDayRollupsAsync(product.Record.Name, rollupCutoff, DateOnly.FromDateTime(now.UtcDateTime), cancellationToken);
        }

        // Runs after this run's own deletions, so that with a bound of zero they are compacted at once.
        var settings = options.Value;
        if (await eventLog.CompactErasedAsync(settings.ErasureCompaction - settings.Interval, cancellationToken))
        {
            CollectorLog.ErasuresCompacted(logger, settings.ErasureCompaction);
        }
    }
}

/// <summary>Runs <see cref="RetentionJob"/> at start and then every <see cref="RetentionOptions.Interval"/> of the injected clock.</summary>
internal sealed class RetentionScheduler(RetentionJob job, TimeProvider time, IOptions<RetentionOptions> options, ILogger<RetentionScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Created before the first await, so the schedule starts when the host starts, not after the first run.
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await job.RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CollectorLog.RetentionFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
