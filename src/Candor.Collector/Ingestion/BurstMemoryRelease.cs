using Candor.Collector.Operations;
using Candor.Collector.Storage;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Ingestion;

/// <summary>
/// Gives the memory of a burst back to the system once ingestion has gone quiet. A burst fills the garbage
/// collector's heaps with request bodies and queued events; when it ends, nothing allocates any more, so no
/// collection runs and the process keeps its peak size indefinitely (377 MB after a burst that started at 115 MB,
/// see docs/benchmarks.md). After a span with at least a tenth of <see cref="StorageOptions.MaxBacklog"/> events held
/// at once, followed by a whole span with none, one full compacting collection that returns free memory is run.
/// </summary>
internal sealed class BurstMemoryRelease(Admission admission, IOptions<StorageOptions> options, TimeProvider time, ILogger<BurstMemoryRelease> logger) : BackgroundService
{
    /// <summary>How often ingestion is looked at; a burst's memory is released one to two spans after it ends.</summary>
    public static readonly TimeSpan Span = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Span, time);
        var burst = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var peak = admission.TakePeak();
                if (peak == 0 && burst)
                {
                    var before = Environment.WorkingSet;
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    CollectorLog.BurstMemoryReleased(logger, before >> 20, Environment.WorkingSet >> 20);
                }

                burst = peak >= options.Value.MaxBacklog / 10 || (burst && peak > 0);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
