using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Candor.Collector.Operations;
using Candor.Protocol;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Ingestion;

/// <summary>Registers ingestion: validation, the address-to-country step, trusted proxies and rate limits.</summary>
internal static class IngestionSetup
{
    public const string PerKeyPolicy = "per-ingestion-key";

    // Operators' endpoints are not rate-limited per address: a scraper or a load balancer's probe must not be refused.
    private static readonly string[] Unlimited = ["/healthz", "/metrics"];

    public static WebApplicationBuilder AddIngestion(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestionOptions>, IngestionOptionsValidator>();
        services.AddOptions<NetworkOptions>().BindConfiguration(NetworkOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NetworkOptions>, NetworkOptionsValidator>();
        services.AddSingleton<EventValidator>();
        services.AddSingleton<Admission>();
        services.AddSingleton<IngestionPipeline>();
        services.AddSingleton<KeyInBodyRateLimit>();
        services.AddSingleton<Interop.ForeignIngestion>();
        services.AddHostedService<BurstMemoryRelease>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<NetworkOptions>>().Value.CountryDatabase is { } path
            ? CountryDatabase.Load(path)
            : CountryDatabase.Empty);
        services.AddSingleton<ClientPlace>();

        // Only the configured proxies are believed; ASP.NET Core's default of trusting loopback is dropped.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<NetworkOptions>>((forwarded, network) =>
        {
            forwarded.ForwardedHeaders = network.Value.TrustedProxies.Count == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor;
            forwarded.ForwardLimit = null;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The obsolete list still holds the loopback default, which would otherwise be trusted.
            forwarded.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var proxy in network.Value.TrustedProxies)
            {
                if (IPAddress.TryParse(proxy, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
                }
            }
        });

        services.AddRateLimiter(limits =>
        {
            limits.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                Unlimited.Any(p => http.Request.Path.StartsWithSegments(p, StringComparison.Ordinal))
                    ? RateLimitPartition.GetNoLimiter("")
                    : Bucket(http, AddressPartition.Of(http.Connection.RemoteIpAddress), o => o.PermitsPerAddress));
            // One bucket per key, wherever the request carries it (a request without one is refused by its door).
            limits.AddPolicy(PerKeyPolicy, http => Bucket(http, IngestionKey.FromHeaders(http.Request) ?? "", o => o.PermitsPerKey));
            limits.OnRejected = OnRejectedAsync;
        });
        return builder;
    }

    private static RateLimitPartition<string> Bucket(HttpContext http, string key, Func<IngestionOptions, int> permits)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<IngestionOptions>>().Value;
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => BucketOptions(permits(options), options.RateWindow));
    }

    /// <summary>A bucket of <paramref name="limit"/> requests, refilled whole every <paramref name="window"/>, that queues nothing.</summary>
    public static TokenBucketRateLimiterOptions BucketOptions(int limit, TimeSpan window) => new()
    {
        TokenLimit = limit,
        TokensPerPeriod = limit,
        ReplenishmentPeriod = window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var window = http.RequestServices.GetRequiredService<IOptions<IngestionOptions>>().Value.RateWindow;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        http.Response.ContentType = "application/json";
        http.RequestServices.GetRequiredService<CollectorMetrics>().Rejected(RejectionReasons.RateLimited, CollectorMetrics.Doors.Of(http.Request.Path));
        var problem = new ProblemResponse { Reason = RejectionReasons.RateLimited, Detail = "too many requests for this key or address; retry after the time in Retry-After" };
        await JsonSerializer.SerializeAsync(http.Response.Body, problem, ProtocolJsonContext.Default.ProblemResponse, cancellationToken);
    }
}
