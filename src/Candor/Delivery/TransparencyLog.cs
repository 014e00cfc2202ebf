using System.Text.Json;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// The local record of what left the machine: every event the collector acknowledged (stored, or already
/// stored), with the time of the acknowledgement, in <c>sent.jsonl</c>. Bounded; the oldest entries go first.
/// One line per event: <c>{"acknowledged":"2025-01-31T12:00:00+00:00","event":{...}}</c>.
/// </summary>
internal sealed class TransparencyLog
{
    private readonly JsonLinesLog _log;

    public TransparencyLog(CandorHome home, string product, IFileSystem files, DeliveryOptions options)
    {
        _log = new JsonLinesLog(home.SentLog(product), options.MaxSentLogBytes, files, createsFolder: false);
    }

    /// <summary>Records events the collector acknowledged. Throws on a file-system failure.</summary>
    public void Append(IEnumerable<SpooledEvent> acknowledged, DateTimeOffset at) =>
        _log.Append(lines =>
        {
            foreach (var spooled in acknowledged)
            {
                lines.WriteLine(writer =>
                {
                    writer.WriteString("acknowledged", at);
                    JsonLinesLog.WriteEvent(writer, "event", spooled.Json);
                });
            }
        });

    /// <summary>What left the machine, newest last (for <c>candor events</c>). Never throws for I/O.</summary>
    public IReadOnlyList<SentEvent> Read()
    {
        var sent = new List<SentEvent>();
        foreach (var document in _log.ReadObjects())
        {
            using (document)
            {
                var root = document.RootElement;
                if (root.TryGetProperty("acknowledged", out var at)
                    && at.ValueKind == JsonValueKind.String
                    && at.TryGetDateTimeOffset(out var acknowledged)
                    && root.TryGetProperty("event", out var json)
                    && json.ValueKind == JsonValueKind.Object
                    && json.TryGetProperty("id", out var id)
                    && id.ValueKind == JsonValueKind.String
                    && id.TryGetGuid(out var eventId))
                {
                    sent.Add(new SentEvent(acknowledged, eventId, json.GetRawText()));
                }
            }
        }

        return sent;
    }
}

/// <summary>One acknowledged event as the transparency log recorded it.</summary>
internal sealed class SentEvent
{
    public SentEvent(DateTimeOffset acknowledged, Guid id, string json)
    {
        Acknowledged = acknowledged;
        Id = id;
        Json = json;
    }

    /// <summary>When the collector acknowledged the event.</summary>
    public DateTimeOffset Acknowledged { get; }

    /// <summary>The event's ID.</summary>
    public Guid Id { get; }

    /// <summary>The event's JSON as it was sent.</summary>
    public string Json { get; }
}
