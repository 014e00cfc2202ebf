using System.Text;
using System.Text.Json;
using Candor.Manifest;
using Candor.Protocol;
using Candor.Sinks;

namespace Candor.Testing;

/// <summary>
/// Collects the events a client would send, exactly as it would send them, for a tool's own tests.
/// Pass it to <see cref="CandorClient.CreateForTesting"/>, track, call <see cref="CandorClient.Flush"/>,
/// then look at <see cref="Events"/>. Thread-safe.
/// </summary>
public sealed class InMemorySink : IEventSink
{
    private readonly List<RecordedEvent> _events = [];
    private readonly object _gate = new();

    /// <summary>A snapshot of the events written so far, oldest first.</summary>
    public IReadOnlyList<RecordedEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Forgets the events written so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _events.Clear();
        }
    }

    bool IEventSink.Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
    {
        var recorded = new RecordedEvent(Encoding.UTF8.GetString(json.Span));
        lock (_gate)
        {
            _events.Add(recorded);
        }

        return true;
    }
}

/// <summary>One event as it would leave the machine.</summary>
public sealed class RecordedEvent
{
    internal RecordedEvent(string json)
    {
        Json = json;
        Event = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.WireEvent)!;
    }

    /// <summary>The exact JSON that would be sent.</summary>
    public string Json { get; }

    /// <summary>The same event, read back with the wire format's reference codec.</summary>
    internal WireEvent Event { get; }

    /// <summary>The event's name.</summary>
    public string Name => Event.Name;

    /// <summary>A property's value as text (a string, <c>true</c>/<c>false</c>, or list items joined by ','), or null when absent.</summary>
    public string? Property(string name) =>
        Event.Properties?.TryGetValue(name, out var value) == true
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(v => v.GetString())),
                _ => value.GetRawText(),
            }
            : null;

    /// <summary>A measurement's value, or null when absent.</summary>
    public double? Measurement(string name) =>
        Event.Measurements?.TryGetValue(name, out var value) == true ? value : null;
}
