using System.Diagnostics.Metrics;
using Candor.Collector.Storage;

namespace Candor.Collector.Operations;

/// <summary>The collector's own metrics (meter <c>Candor.Collector</c>), exported for Prometheus at <c>/metrics</c>.</summary>
internal sealed class CollectorMetrics
{
    /// <summary>The doors events come in through, the value of the <c>door</c> label.</summary>
    public static class Doors
    {
        public const string Native = "native";
        public const string Otlp = "otlp";
        public const string ApplicationInsights = "applicationinsights";

        /// <summary>The door of a request, from its path (for refusals made before a route runs, such as rate limits).</summary>
        public static string Of(PathString path) =>
            path.StartsWithSegments("/v1/logs", StringComparison.Ordinal) || path.StartsWithSegments("/v1/traces", StringComparison.Ordinal) ? Otlp
            : path.StartsWithSegments("/v2/track", StringComparison.Ordinal) || path.StartsWithSegments("/v2.1/track", StringComparison.Ordinal) ? ApplicationInsights
            : Native;
    }

    public const string MeterName = "Candor.Collector";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _batchDuration;
    private readonly Counter<long> _credentialsRefused;
    private readonly Counter<long> _refusalsFolded;

    public CollectorMetrics(IMeterFactory meters, IEventLog store)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("candor.collector.events.accepted", "{event}", "Events stored.");
        _duplicates = meter.CreateCounter<long>("candor.collector.events.duplicate", "{event}", "Events received again and not stored twice.");
        _rejected = meter.CreateCounter<long>("candor.collector.events.rejected", "{event}", "Events or requests refused, by reason.");
        _dropped = meter.CreateCounter<long>("candor.collector.items.dropped", "{item}", "Parts of OTLP and Application Insights items not kept (unmapped items, undeclared attributes, bodies, messages), by door and reason.");
        _batchDuration = meter.CreateHistogram<double>("candor.collector.batch.duration", "s", "Time from a batch's arrival to its acknowledgement.");
        _credentialsRefused = meter.CreateCounter<long>("candor.collector.credentials.refused", "{request}", "Requests whose credential was refused, by kind and reason.");
        _refusalsFolded = meter.CreateCounter<long>("candor.collector.audit.refusals_folded", "{request}", "Refused credentials counted but not written to the audit log, which takes one per address and credential a minute.");
        meter.CreateObservableGauge("candor.collector.store.backlog", () => store.Backlog, "{event}", "Events waiting to be committed.");
        meter.CreateObservableGauge("candor.collector.store.wait", () => store.EstimatedWait.TotalSeconds, "s", "How long a batch arriving now is expected to wait for its commit (ingestion refuses above Storage:MaxWait).");
    }

    public void Accepted(int count, int duplicates)
    {
        _accepted.Add(count);
        _duplicates.Add(duplicates);
    }

    /// <summary>
    /// Counts refusals: of single events (the batch was read) or of whole requests, by reason and by the door they
    /// came through (<see cref="Doors"/>).
    /// </summary>
    public void Rejected(string reason, string door, int count = 1) =>
        _rejected.Add(count, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("door", door));

    /// <summary>
    /// Counts what a foreign client sent that is not kept (an unmapped item, an undeclared attribute, a log body, an
    /// exception message), by door and reason: dropped by design, not refused.
    /// </summary>
    public void Dropped(string door, string reason, int count = 1)
    {
        if (count > 0)
        {
            _dropped.Add(count, new KeyValuePair<string, object?>("door", door), new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>Counts a refused credential: <paramref name="kind"/> is what was offered, <paramref name="reason"/> why it was refused.</summary>
    public void CredentialRefused(string kind, string reason) =>
        _credentialsRefused.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("reason", reason));

    public void RefusalFolded() => _refusalsFolded.Add(1);

    public void BatchDone(TimeSpan duration) => _batchDuration.Record(duration.TotalSeconds);
}
