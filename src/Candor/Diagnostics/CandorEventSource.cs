using System.Diagnostics.Tracing;

namespace Candor.Diagnostics;

/// <summary>
/// Candor's own diagnostics, for <c>dotnet-trace</c> and similar listeners (provider name <c>Candor</c>).
/// Failures inside the SDK end here and in the opt-in <see cref="SelfLog"/>, never in the host tool.
/// </summary>
/// <remarks>
/// Built only when something may listen (<see cref="CandorTrace"/>): building it takes milliseconds, which every run
/// paid when it was built at start, telemetry off included.
/// </remarks>
// The GUID is the one EventSource derives from the name (a test checks it): deriving it calls ToUpperInvariant,
// which loads ICU.
[EventSource(Name = "Candor", Guid = "1a5e9d8d-a1d3-5062-77b5-1726a808f1b3")]
internal sealed class CandorEventSource : EventSource
{
    internal CandorEventSource()
    {
    }

    [Event(1, Level = EventLevel.Warning, Message = "Dropped {1} value(s): {0}")]
    public void Dropped(string reason, long count)
    {
        if (IsEnabled())
        {
            WriteEvent(1, reason, count);
        }
    }

    [Event(2, Level = EventLevel.Error, Message = "Candor failed while {0}: {1}")]
    public void Failure(string operation, string error)
    {
        if (IsEnabled())
        {
            WriteEvent(2, operation, error);
        }
    }

    [Event(3, Level = EventLevel.Informational, Message = "Telemetry for {0} is {1} ({2})")]
    public void ConsentResolved(string product, string level, string source)
    {
        if (IsEnabled())
        {
            WriteEvent(3, product, level, source);
        }
    }

    /// <summary>Whether a listener takes tracked events, checked before paying for their text.</summary>
    public bool TracesEvents => IsEnabled(EventLevel.Informational, EventKeywords.None);

    /// <summary>
    /// Every event a client records, as its exact JSON: the trace provider a tool's or library's users can
    /// listen to (as ONNX Runtime's TraceLogging events). Fires only for a client that records (never with
    /// telemetry off or in a private build).
    /// </summary>
    [Event(4, Level = EventLevel.Informational, Message = "{0} tracked {1}")]
    public void EventTracked(string product, string name, string json)
    {
        if (TracesEvents)
        {
            WriteEvent(4, product, name, json);
        }
    }
}
