using Candor.Delivery;
using Candor.Manifest;
using Candor.Storage;

namespace Candor.Sinks;

/// <summary>
/// The <c>local</c> level: events are kept in the product's bounded <c>local.jsonl</c> for the user to read, and
/// never spooled or sent. One line per event: <c>{"recorded":"...","event":{...}}</c>. The file is bounded by
/// <see cref="DeliveryOptions.MaxSentLogBytes"/>, the same bound as <c>sent.jsonl</c>: both are logs kept for the user to read.
/// </summary>
internal sealed class LocalLogSink(CandorHome home, string product, IFileSystem files, DeliveryOptions options, TimeProvider time) : IEventSink
{
    private readonly JsonLinesLog _log = new(home.LocalLog(product), options.MaxSentLogBytes, files, createsFolder: true);

    public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
    {
        var bytes = json.ToArray();
        _log.Append(lines => lines.WriteLine(writer =>
        {
            writer.WriteString("recorded", time.GetUtcNow());
            JsonLinesLog.WriteEvent(writer, "event", bytes);
        }));
        return true;
    }
}
