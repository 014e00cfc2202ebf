using System.Diagnostics;

namespace Candor.Collector.Storage;

/// <summary>
/// How fast a store's writer commits events, and from that how long events queued now would wait for it.
/// Ingestion refuses a request at once (503 with Retry-After) when that wait is longer than
/// <see cref="StorageOptions.MaxWait"/>, instead of letting it wait past the client's own timeout.
/// </summary>
/// <remarks>
/// The rate is measured only over work after which more was waiting, when the writer was busy all along: an idle
/// writer's small commits say how fast requests arrive, not how fast it can drain a queue. It is an average over
/// about the last <see cref="Window"/> seconds of such work, weighted by time, so the folds and the other work
/// between commits count as what they cost. A piece of work that has already run longer than the rate predicts
/// (a stalled disk, a lock held by another process) is expected to run about as long again as it overran.
/// </remarks>
internal sealed class WriterPace
{
    /// <summary>The seconds of busy writing the average spans (older work weighs e<sup>-1</sup> less per window).</summary>
    public const double Window = 2.0;

    private readonly Lock _gate = new();
    private double _events;
    private double _seconds;
    private long _started;
    private int _startedEvents;

    /// <summary>The writer's measured rate in events per second, or <see langword="null"/> before it was ever busy.</summary>
    public double? EventsPerSecond
    {
        get
        {
            lock (_gate)
            {
                return _seconds > 0 ? _events / _seconds : null;
            }
        }
    }

    /// <summary>The writer takes a piece of work holding <paramref name="events"/> events (0 for work that stores none).</summary>
    public void Started(int events)
    {
        lock (_gate)
        {
            _started = Stopwatch.GetTimestamp();
            _startedEvents = events;
        }
    }

    /// <summary>The writer finished the work it <see cref="Started"/>; <paramref name="moreWaiting"/> when other work was already queued.</summary>
    public void Finished(bool moreWaiting)
    {
        lock (_gate)
        {
            if (_started == 0)
            {
                return;
            }

            var elapsed = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            if (moreWaiting && elapsed > 0)
            {
                var decay = Math.Exp(-elapsed / Window);
                _events = (_events * decay) + _startedEvents;
                _seconds = (_seconds * decay) + elapsed;
            }

            _started = 0;
            _startedEvents = 0;
        }
    }

    /// <summary>
    /// How long a request queued now would wait until its events are committed, with <paramref name="backlog"/>
    /// events handed to the writers and not committed (those of the work in hand included). A store with several
    /// writer loops keeps one pace for each: their rates add up, and the first to finish its work in hand takes the
    /// next. Zero when nothing is known yet and no writer has work in hand.
    /// </summary>
    public static TimeSpan EstimateWait(IReadOnlyList<WriterPace> writers, int backlog)
    {
        var rate = 0.0;
        var inHand = 0;
        var remaining = double.MaxValue;
        foreach (var writer in writers)
        {
            var (writerRate, events, left) = writer.Now();
            rate += writerRate ?? 0;
            inHand += events;
            remaining = Math.Min(remaining, left ?? 0);
        }

        var queued = Math.Max(0, backlog - inHand);
        var seconds = (rate > 0 ? queued / rate : 0) + (remaining == double.MaxValue ? 0 : remaining);
        return TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds));
    }

    // The rate, the events of the work in hand, and how much longer that work is expected to take (null when idle).
    private (double? Rate, int Events, double? Remaining) Now()
    {
        lock (_gate)
        {
            var rate = _seconds > 0 ? _events / _seconds : (double?)null;
            if (_started == 0)
            {
                return (rate, 0, null);
            }

            var elapsed = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            var expected = rate is { } known && known > 0 ? _startedEvents / known : 0;
            return (rate, _startedEvents, expected >= elapsed ? expected - elapsed : elapsed - expected);
        }
    }
}
