using System.Diagnostics;
using Candor.Diagnostics;
using Candor.Manifest;
using Candor.Platform;

namespace Candor.Sinks;

/// <summary>
/// The sinks one pipeline writes to, taken through their lifecycle together (<see cref="IEventSink"/>): one failing
/// sink (a closed stderr, a full disk) never starves the others, and nothing a sink throws reaches the tool.
/// </summary>
/// <remarks>
/// The sinks may be built when first used rather than with the set (<see cref="SinkSet(int, Func{IEventSink[]})"/>):
/// the pipeline's writer builds them before its first event, while the tool works, so the tool's thread does not load
/// delivery's types or look at the catalogue at start. Their number is known before.
/// </remarks>
internal sealed class SinkSet
{
    // An array, walked by index: handing an event over allocates nothing (an interface's enumerator would).
    private readonly Lazy<IEventSink[]> _sinks;

    /// <summary>A set of sinks built already.</summary>
    public SinkSet(IReadOnlyList<IEventSink> sinks)
    {
        var built = ListCopy.ToArray(sinks);
        Count = built.Length;
        _sinks = new Lazy<IEventSink[]>(built);
    }

    /// <summary>A set of <paramref name="count"/> sinks that <paramref name="build"/> makes when they are first used.</summary>
    /// <remarks>
    /// <paramref name="build"/> runs once, on whichever thread first needs the sinks. Should it throw, every
    /// <see cref="Write"/> throws it again, so the pipeline drops and counts each event (as it does when the stamp
    /// cannot be made), and the rest of the lifecycle has no sink to drive.
    /// </remarks>
    public SinkSet(int count, Func<IEventSink[]> build)
    {
        Count = count;
        _sinks = new Lazy<IEventSink[]>(build, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>How many sinks the set has, known without building them.</summary>
    public int Count { get; }

    /// <summary>Builds the sinks now, unless they are built. Never throws.</summary>
    public void Prepare() => _ = Built();

    /// <summary>Hands one event to every sink. Returns false when a sink had no room for it.</summary>
    /// <exception cref="Exception">The sinks could not be built (what their builder threw).</exception>
    public bool Write(Guid id, EventDefinition definition, ReadOnlyMemory<byte> json)
    {
        var sinks = _sinks.Value;
        var kept = true;
        for (var i = 0; i < sinks.Length; i++)
        {
            try
            {
                kept &= sinks[i].Write(id, definition, json);
            }
            catch (Exception ex)
            {
                SelfLog.Failure("handing an event to " + sinks[i].GetType().Name, ex);
            }
        }

        return kept;
    }

    /// <summary>Tells every sink that the run has proved long.</summary>
    public void OnLongRun()
    {
        foreach (var sink in Built())
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
        foreach (var sink in Built())
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
        foreach (var sink in Built())
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

    // The sinks, or none when they could not be built (the failure is logged each time they are asked for).
    private IEventSink[] Built()
    {
        try
        {
            return _sinks.Value;
        }
        catch (Exception ex)
        {
            SelfLog.Failure("building the event sinks", ex);
            return [];
        }
    }
}
