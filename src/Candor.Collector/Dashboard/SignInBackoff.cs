using Candor.Collector.Ingestion;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Slows down guessing tokens at the sign-in form: after <see cref="FreeFailures"/> failed sign-ins from one address
/// (an IPv6 /64, see <see cref="AddressPartition"/>), each further attempt must wait, twice as long after each
/// failure, from 1 second up to <see cref="MaxWait"/>. During the wait every sign-in from there is refused before its
/// token is looked at, the right one too, so the wait cannot be used to test tokens. A success, or
/// <see cref="ForgetAfter"/> without a failure, clears the address.
/// </summary>
internal sealed class SignInBackoff(TimeProvider time)
{
    /// <summary>Failures allowed before the first wait (a mistyped or stale token or two).</summary>
    public const int FreeFailures = 3;

    /// <summary>The longest wait between attempts.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    /// <summary>How long after its last failure an address is forgotten.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(15);

    // Addresses kept at most; past it the ones forgotten by time go, then the longest quiet ones.
    private const int MaxTracked = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>How long the address must still wait before it may try again; zero when it may try now.</summary>
    public TimeSpan WaitFor(HttpContext http)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_failures.TryGetValue(AddressPartition.Of(http.Connection.RemoteIpAddress), out var failures) || failures.Count < FreeFailures)
            {
                return TimeSpan.Zero;
            }

            var wait = failures.Last + Wait(failures.Count) - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
    }

    public void Failed(HttpContext http)
    {
        var now = time.GetUtcNow();
        var key = AddressPartition.Of(http.Connection.RemoteIpAddress);
        lock (_lock)
        {
            if (!_failures.TryGetValue(key, out var failures) || now - failures.Last >= ForgetAfter)
            {
                if (_failures.Count >= MaxTracked)
                {
                    Prune(now);
                }

                failures = new Failures();
                _failures[key] = failures;
            }

            failures.Count++;
            failures.Last = now;
        }
    }

    public void Succeeded(HttpContext http)
    {
        lock (_lock)
        {
            _failures.Remove(AddressPartition.Of(http.Connection.RemoteIpAddress));
        }
    }

    // 1 s after the first failure past the free ones, doubling up to MaxWait.
    private static TimeSpan Wait(int failures)
    {
        var doublings = Math.Min(failures - FreeFailures, 20);
        var seconds = Math.Min(Math.Pow(2, doublings), MaxWait.TotalSeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var stale in _failures.Where(f => now - f.Value.Last >= ForgetAfter).Select(f => f.Key).ToList())
        {
            _failures.Remove(stale);
        }

        if (_failures.Count >= MaxTracked)
        {
            foreach (var quiet in _failures.OrderBy(f => f.Value.Last).Take(MaxTracked / 2).Select(f => f.Key).ToList())
            {
                _failures.Remove(quiet);
            }
        }
    }

    private sealed class Failures
    {
        public int Count { get; set; }

        public DateTimeOffset Last { get; set; }
    }
}
