using System.Globalization;
using System.Threading.RateLimiting;
using Candor.Protocol;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Ingestion;

/// <summary>
/// The per-key rate limit for a door whose key is in the body (Application Insights' <c>iKey</c>), which the
/// rate-limiting middleware cannot see: the same buckets (<see cref="IngestionOptions.PermitsPerKey"/> per
/// <see cref="IngestionOptions.RateWindow"/>), taken once the body has named the key. The door's own buckets: a key
/// used through two doors gets the limit at each.
/// </summary>
internal sealed class KeyInBodyRateLimit(IOptions<IngestionOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _buckets = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => IngestionSetup.BucketOptions(options.Value.PermitsPerKey, options.Value.RateWindow)));

    /// <summary>
    /// Takes one request of <paramref name="key"/>'s bucket, or refuses it (and sets Retry-After).
    /// </summary>
    public RequestProblem? Take(HttpContext http, string key)
    {
        using var lease = _buckets.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.Value.RateWindow;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return new RequestProblem(StatusCodes.Status429TooManyRequests, RejectionReasons.RateLimited, "too many requests for this key; retry after the time in Retry-After");
    }

    public void Dispose() => _buckets.Dispose();
}
