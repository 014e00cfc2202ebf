using System.Text;
using Candor.Manifest;

namespace Candor.Sinks;

/// <summary>
/// Print mode (<c>CANDOR_TELEMETRY_DEBUG=1</c>, or a tool's <c>--printmetrics</c>): every event's exact JSON,
/// as it is sent, one per line.
/// </summary>
internal sealed class PrintSink(TextWriter writer) : IEventSink
{
    private readonly TextWriter _writer = TextWriter.Synchronized(writer);

    public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
    {
        _writer.WriteLine(Encoding.UTF8.GetString(json.Span));
        _writer.Flush();
        return true;
    }
}
