using Candor.Collector.Storage;
using Candor.Protocol;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Ingestion;

/// <summary>
/// Decides whether ingestion takes a batch now or refuses it at once with 503 and Retry-After. A batch is refused
/// when the writer is expected to take longer than <see cref="StorageOptions.MaxWait"/> to commit it (so a client
/// is told when to come back instead of waiting past its own timeout and resending), and when holding its events
/// would put more than <see cref="StorageOptions.MaxBacklog"/> events in memory between reading and commit.
/// </summary>
internal sealed class Admission(IEventLog store, IOptions<StorageOptions> options)
{
    /// <summary>The longest Retry-After given: a client comes back within a minute whatever the estimate.</summary>
    public const int MaxRetryAfterSeconds = 60;

    private int _held;
    private int _peak;

    /// <summary>Events read, checked or queued by requests that have not been answered yet.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>
    /// Whether a batch may be read at all: null when it may, or the refusal and the seconds for Retry-After. Checked
    /// before the body is read, so an overloaded collector spends nothing on the batches it refuses.
    /// </summary>
    public (RequestProblem Problem, int RetryAfter)? Check()
    {
        var wait = store.EstimatedWait;
        if (wait > options.Value.MaxWait)
        {
            return (Busy($"the collector would take about {Math.Ceiling(wait.TotalSeconds)} s to store this batch; retry later"), RetryAfter(wait));
        }

        return Held + 1 > options.Value.MaxBacklog
            ? (Busy("the collector is catching up; retry shortly"), RetryAfter(wait))
            : null;
    }

    /// <summary>
    /// Holds <paramref name="events"/> read events until <see cref="Release"/>, unless that would go over
    /// <see cref="StorageOptions.MaxBacklog"/>: then null is returned and nothing is held, else the refusal.
    /// </summary>
    public (RequestProblem Problem, int RetryAfter)? TryHold(int events)
    {
        var limit = options.Value.MaxBacklog;
        while (true)
        {
            var held = Volatile.Read(ref _held);
            if (held + events > limit)
            {
                return (Busy("the collector is catching up; retry shortly"), RetryAfter(store.EstimatedWait));
            }

            if (Interlocked.CompareExchange(ref _held, held + events, held) == held)
            {
                RaisePeak(held + events);
                return null;
            }
        }
    }

    /// <summary>The most events held at once since the last call (see <see cref="BurstMemoryRelease"/>); starts the next span at what is held now.</summary>
    public int TakePeak() => Interlocked.Exchange(ref _peak, Held);

    /// <summary>Lets go of events held by <see cref="TryHold"/>, once their request is answered.</summary>
    public void Release(int events) => Interlocked.Add(ref _held, -events);

    private void RaisePeak(int held)
    {
        var peak = Volatile.Read(ref _peak);
        while (held > peak && Interlocked.CompareExchange(ref _peak, held, peak) is var seen && seen != peak)
        {
            peak = seen;
        }
    }

    private static int RetryAfter(TimeSpan wait) => (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, MaxRetryAfterSeconds);

    private static RequestProblem Busy(string detail) => new(StatusCodes.Status503ServiceUnavailable, RejectionReasons.StoreBusy, detail);
}
