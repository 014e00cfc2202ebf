using Candor.Manifest;

namespace Candor.Tracking;

/// <summary>Where a written event goes: print, the in-memory sink, the local log, the spool.</summary>
internal interface IEventSink
{
    /// <summary>Receives one event's exact JSON. Called on the background writer only; may throw (the writer catches).</summary>
    void Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json);
}
