using Candor.Manifest;

namespace Candor.Sinks;

/// <summary>
/// Where a written event goes (print, the in-memory sink of a tool's tests, the local log, the spool), and what it
/// does across the run. Like a telemetry processor, a sink has a lifecycle of its own, which its
/// <see cref="SinkSet"/> drives in this order:
/// <list type="number">
/// <item>start: it is built by the client's setup, only for a run that records, and does nothing costly until written to;</item>
/// <item><see cref="Write"/>: each event, in order;</item>
/// <item><see cref="OnLongRun"/>: once, when the run outlives the pipeline writer's first wait (a long-running host);</item>
/// <item><see cref="Drain"/>: once, at exit, after the last write: it hands over what it holds within a budget;</item>
/// <item><see cref="Stop"/>: last, whatever happened before: it ends what outlived the budget.</item>
/// </list>
/// Every call comes from one thread at a time: the pipeline's writer, a thread in <c>Flush</c> that took the writing
/// over, or the thread that shuts the client down.
/// Any of them may throw; the set catches, logs and goes on with the other sinks.
/// </summary>
internal interface IEventSink
{
    /// <summary>
    /// Receives one event's exact JSON. Returns false when the sink had no room and dropped it (only the spool is
    /// bounded so: the pipeline counts it as <c>SpoolFull</c>).
    /// </summary>
    bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json);

    /// <summary>The run has proved long: whatever only a long run needs (an upload in process) starts now.</summary>
    void OnLongRun()
    {
    }

    /// <summary>
    /// At exit: hands over what the sink holds, waiting at most <paramref name="budget"/>. Returns whether
    /// everything written to it is now in safe hands (written, sent, or given to an uploader).
    /// </summary>
    bool Drain(TimeSpan budget) => true;

    /// <summary>Ends whatever outlived the drain; the sink receives nothing after.</summary>
    void Stop()
    {
    }
}
