using System.Globalization;
using Candor.Collector.Ingestion;
using Candor.Collector.Operations;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Routing;

namespace Candor.Collector.Access;

/// <summary>
/// Counts and audits every refused credential: an ingestion key, a reader or admin token, a dashboard sign-in.
/// Each refusal is counted in the metrics; the audit log gets the client's country (never its address) and the
/// credential's ID when the secret named one (a live credential of the wrong kind). So that the audit log cannot
/// be flooded, it takes at most one entry per address (IPv6 /64), kind and credential a minute, and at most
/// <see cref="MaxEntriesPerWindow"/> in all; the rest are folded: counted in the metrics and in the next entry.
/// </summary>
internal sealed class RefusedCredentials(AuditLog audit, ClientPlace place, CollectorMetrics metrics, TimeProvider time, ILogger<RefusedCredentials> logger)
{
    public const string IngestionKey = "ingestion-key";
    public const string Token = "token";
    public const string SignIn = "sign-in";

    /// <summary>How long one entry stands for an address, kind and credential.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The most refusal entries written in one <see cref="Window"/>, whatever the addresses.</summary>
    public const int MaxEntriesPerWindow = 100;

    // Addresses kept in memory at most; past it the oldest windows are dropped, so many addresses cost bounded memory.
    private const int MaxTracked = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _written;
    private long _overflow;

    /// <summary>Counts the refusal, and writes it to the audit log unless it is folded. Never throws; the write runs on.</summary>
    public void Record(HttpContext http, string kind, string reason, CredentialRecord? credential)
    {
        metrics.CredentialRefused(kind, reason);
        var now = time.GetUtcNow();
        var key = $"{AddressPartition.Of(http.Connection.RemoteIpAddress)}|{kind}|{credential?.Id}";
        long folded;
        lock (_lock)
        {
            if (now - _windowStart >= Window)
            {
                (_windowStart, _written) = (now, 0);
            }

            if (_tracked.TryGetValue(key, out var tracked) && now - tracked.Since < Window)
            {
                tracked.Folded++;
                metrics.RefusalFolded();
                return;
            }

            if (_written >= MaxEntriesPerWindow)
            {
                _overflow++;
                metrics.RefusalFolded();
                return;
            }

            _written++;
            folded = (tracked?.Folded ?? 0) + _overflow;
            _overflow = 0;
            if (_tracked.Count >= MaxTracked)
            {
                Prune(now);
            }

            _tracked[key] = new Tracked(now);
        }

        var country = place.CountryOf(http.Connection.RemoteIpAddress);
        var actor = credential is null ? "unknown credential" : $"token {credential.Id.ToString(CultureInfo.InvariantCulture)} ({credential.Name})";
        var target = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Method;
        var detail = $"{kind} refused: {reason}; from {(country.Length == 0 ? "an unknown country" : country)}"
            + (folded == 0 ? "" : $"; {folded} more refusals before this one were counted but not written");
        _ = WriteAsync(actor, target, detail);
    }

    private async Task WriteAsync(string actor, string target, string detail)
    {
        try
        {
            await audit.RecordAsync(actor, "credential.refused", target, detail, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CollectorLog.RefusalAuditFailed(logger, ex);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var stale in _tracked.Where(t => now - t.Value.Since >= Window).Select(t => t.Key).ToList())
        {
            _tracked.Remove(stale);
        }

        // Still full: every window is current. Drop the oldest half; at worst they get one more entry each.
        if (_tracked.Count >= MaxTracked)
        {
            foreach (var old in _tracked.OrderBy(t => t.Value.Since).Take(MaxTracked / 2).Select(t => t.Key).ToList())
            {
                _overflow += _tracked[old].Folded;
                _tracked.Remove(old);
            }
        }
    }

    private sealed class Tracked(DateTimeOffset since)
    {
        public DateTimeOffset Since { get; } = since;

        public long Folded { get; set; }
    }
}
