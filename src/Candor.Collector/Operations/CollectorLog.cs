namespace Candor.Collector.Operations;

// Every log line the collector writes. None takes a client address or an install ID: addresses are reduced to a
// country before anything could log them, and install IDs are pseudonymous user data.
internal static partial class CollectorLog
{
    [LoggerMessage(1, LogLevel.Warning, "Created the first admin token (credential {CredentialId}); it was printed once to standard output")]
    public static partial void AdminTokenCreated(ILogger logger, long credentialId);

    // Debug: at thousands of batches a second one line each is noise; the metrics count them.
    [LoggerMessage(2, LogLevel.Debug, "Batch for {Product}: {Accepted} stored, {Duplicates} duplicates, {Rejected} rejected")]
    public static partial void BatchProcessed(ILogger logger, string product, int accepted, int duplicates, int rejected);

    [LoggerMessage(3, LogLevel.Information, "Refused an ingestion request ({Status} {Reason})")]
    public static partial void RequestRefused(ILogger logger, int status, string reason);

    [LoggerMessage(4, LogLevel.Error, "Storing a batch for {Product} failed")]
    public static partial void StoreFailed(ILogger logger, string product, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Retention for {Product}: deleted {Events} raw events before {Cutoff:yyyy-MM-dd} and {Rollups} rollup rows before {RollupCutoff:yyyy-MM-dd}")]
    public static partial void RetentionApplied(ILogger logger, string product, long events, DateTimeOffset cutoff, long rollups, DateOnly rollupCutoff);

    [LoggerMessage(6, LogLevel.Error, "The retention run failed; it is tried again at the next interval")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "Deletion on request for {Product}: removed {Events} raw events of one install")]
    public static partial void InstallDeleted(ILogger logger, string product, long events);

    [LoggerMessage(8, LogLevel.Information, "Product {Product} registered with manifest revision {Revision}")]
    public static partial void ProductRegistered(ILogger logger, string product, int revision);

    [LoggerMessage(9, LogLevel.Information, "Country database {Path}: {Ranges} ranges")]
    public static partial void CountryDatabaseLoaded(ILogger logger, string path, int ranges);

    [LoggerMessage(10, LogLevel.Warning, "Reading products and credentials from the store failed; the ones read before stay in use until the next try")]
    public static partial void RefreshFailed(ILogger logger, Exception exception);

    // Information, one line, no exception: a client can send these at the rate limit, so they must not flood the log.
    [LoggerMessage(11, LogLevel.Information, "Refused a request to {Route} ({Status}): {Detail}")]
    public static partial void BodyRefused(ILogger logger, string route, int status, string detail);

    [LoggerMessage(12, LogLevel.Warning, "The configured admin token (Access:AdminToken) was revoked on {Revoked:yyyy-MM-dd}; it stays revoked and is refused. Remove it from configuration")]
    public static partial void ConfiguredAdminTokenRevoked(ILogger logger, DateTimeOffset revoked);

    [LoggerMessage(13, LogLevel.Warning, "Writing a refused credential to the audit log failed; it is counted in the metrics")]
    public static partial void RefusalAuditFailed(ILogger logger, Exception exception);

    [LoggerMessage(14, LogLevel.Information, "Rewrote the event and rollup tables so that no byte of rows deleted on request or by retention stays in their files (bound {Bound})")]
    public static partial void ErasuresCompacted(ILogger logger, TimeSpan bound);

    [LoggerMessage(15, LogLevel.Warning, "Refused {Method} {Path} ({Status}): {Problem}")]
    public static partial void RequestUnreadable(ILogger logger, string method, string path, int status, string problem);

    [LoggerMessage(16, LogLevel.Warning, "Refused a manifest{ForProduct}: {Problems}")]
    public static partial void ManifestRefused(ILogger logger, string forProduct, string problems);

    [LoggerMessage(17, LogLevel.Warning, "Refused {Method} {Path} (400): {Problem}")]
    public static partial void AdminRequestRefused(ILogger logger, string method, string path, string problem);

    [LoggerMessage(18, LogLevel.Information, "Ingestion went quiet after a burst: gave memory back ({Before} MB resident before, {After} MB after)")]
    public static partial void BurstMemoryReleased(ILogger logger, long before, long after);
}
