using Candor.Manifest;

namespace Candor.Tracking;

/// <summary>Where a written event goes: print, the in-memory sink, the local log, the spool.</summary>
internal interface IEventSink
{
    /// <summary>
    /// Receives one event's exact JSON. Called by one thread at a time: the pipeline's writer, or the thread that
    /// completes the pipeline at exit. May throw (the caller catches).
    /// </summary>
    void Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json);
}
