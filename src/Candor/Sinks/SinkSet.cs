using System.Diagnostics;
using Candor.Diagnostics;
using Candor.Manifest;
using Candor.Platform;

namespace Candor.Sinks;

/// <summary>
/// The sinks one pipeline writes to, taken through their lifecycle together (<see cref="IEventSink"/>): one failing
/// sink (a closed stderr, a full disk) never starves the others, and nothing a sink throws reaches the tool.
/// </summary>
internal sealed class SinkSet(IReadOnlyList<IEventSink> sinks)
{
    // An array, walked by index: handing an event over allocates nothing (an interface's enumerator would).
    private readonly IEventSink[] _sinks = ListCopy.ToArray(sinks);

    public int Count => _sinks.Length;

    /// <summary>Hands one event to every sink. Returns false when a sink had no room for it.</summary>
    public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
    {
        var kept = true;
        for (var i = 0; i < _sinks.Length; i++)
        {
            try
            {
                kept &= _sinks[i].Write(id, definition, json);
            }
            catch (Exception ex)
            {
                SelfLog.Failure("handing an event to " + _sinks[i].GetType().Name, ex);
            }
        }

        return kept;
    }

    /// <summary>Tells every sink that the run has proved long.</summary>
    public void OnLongRun()
    {
        foreach (var sink in _sinks)
        {
            try
            {
                sink.OnLongRun();
            }
            catch (Exception ex)
            {
                SelfLog.Failure("keeping " + sink.GetType().Name + " going", ex);
            }
        }
    }

    /// <summary>
    /// At exit, after the last write: drains each sink in turn, all of them within <paramref name="budget"/>.
    /// Returns whether every sink has what it was given in safe hands. Completes at once when no sink waits for
    /// anything, which is every short run. Never throws. It blocks: the thread that shuts the client down waits for it
    /// anyway, and an async method here is compiled at run time in every run, for nothing.
    /// </summary>
    public bool Drain(TimeSpan budget)
    {
        var started = Stopwatch.GetTimestamp();
        var drained = true;
        foreach (var sink in _sinks)
        {
            var left = budget - Stopwatch.GetElapsedTime(started);
            try
            {
                drained &= sink.Drain(left < TimeSpan.Zero ? TimeSpan.Zero : left);
            }
            catch (Exception ex)
            {
                SelfLog.Failure("draining " + sink.GetType().Name, ex);
                drained = false;
            }
        }

        return drained;
    }

    /// <summary>Stops every sink, last of all. Never throws.</summary>
    public void Stop()
    {
        foreach (var sink in _sinks)
        {
            try
            {
                sink.Stop();
            }
            catch (Exception ex)
            {
                SelfLog.Failure("stopping " + sink.GetType().Name, ex);
            }
        }
    }
}
