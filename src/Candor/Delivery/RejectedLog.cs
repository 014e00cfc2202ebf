using System.Text.Json;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// The local record of events the collector refused, with its reason, in <c>rejected.jsonl</c>, so an
/// author can see why and a user can see what was refused. Bounded; the oldest entries go first. One line
/// per event: <c>{"time":"...","reason":"invalid-value","detail":"...","event":{...}}</c>.
/// </summary>
internal sealed class RejectedLog
{
    private readonly JsonLinesLog _log;

    public RejectedLog(CandorHome home, string product, IFileSystem files, DeliveryOptions options)
    {
        _log = new JsonLinesLog(home.RejectedLog(product), options.MaxRejectedLogBytes, files, createsFolder: false);
    }

    /// <summary>Records refused events. Throws on a file-system failure.</summary>
    public void Append(IEnumerable<(SpooledEvent Event, string Reason, string Detail)> rejected, DateTimeOffset at) =>
        _log.Append(lines =>
        {
            foreach (var (spooled, reason, detail) in rejected)
            {
                lines.WriteLine(writer =>
                {
                    writer.WriteString("time", at);
                    writer.WriteString("reason", reason);
                    writer.WriteString("detail", detail);
                    JsonLinesLog.WriteEvent(writer, "event", spooled.Json);
                });
            }
        });

    /// <summary>The refused events, newest last. Never throws for I/O.</summary>
    public IReadOnlyList<RejectedEvent> Read()
    {
        var rejected = new List<RejectedEvent>();
        foreach (var document in _log.ReadObjects())
        {
            using (document)
            {
                var root = document.RootElement;
                if (root.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String && time.TryGetDateTimeOffset(out var at)
                    && root.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                    && root.TryGetProperty("event", out var json) && json.ValueKind == JsonValueKind.Object)
                {
                    var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
                    rejected.Add(new RejectedEvent(at, reason.GetString()!, detail, json.GetRawText()));
                }
            }
        }

        return rejected;
    }
}

/// <summary>One refused event as the rejected log recorded it.</summary>
internal sealed class RejectedEvent
{
    public RejectedEvent(DateTimeOffset time, string reason, string detail, string json)
    {
        Time = time;
        Reason = reason;
        Detail = detail;
        Json = json;
    }

    /// <summary>When the collector refused it.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The collector's stable reason, such as <c>undeclared-property</c>.</summary>
    public string Reason { get; }

    /// <summary>The collector's sentence about what is wrong.</summary>
    public string Detail { get; }

    /// <summary>The event's JSON as it was sent.</summary>
    public string Json { get; }
}
