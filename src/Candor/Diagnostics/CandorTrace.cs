using Candor.Platform;

namespace Candor.Diagnostics;

/// <summary>
/// Holds the <see cref="CandorEventSource"/> once something may listen to it, and decides when that is. A listener
/// cannot be asked for before the source exists, so the source is built when a listener can be expected: at start
/// when the runtime was told to trace from its start (<c>DOTNET_EnableEventPipe</c>, or a diagnostic port such as
/// <c>dotnet-trace collect -- tool</c> and <c>dotnet-monitor</c> open), for a tool's own tests (they listen in
/// process), and in every run that records once it proves long (the pipeline's first wait, 50 ms), so a session
/// attached to a running process sees its events. A short run that nothing traces never builds it.
/// </summary>
internal static class CandorTrace
{
    private static readonly object Gate = new();
    private static volatile CandorEventSource? s_source;

    // What the runtime reads at start to begin tracing (COMPlus_ is the older prefix it still honours).
    private static readonly string[] StartTracingVariables =
    [
        "DOTNET_EnableEventPipe", "COMPlus_EnableEventPipe", "DOTNET_DiagnosticPorts", "COMPlus_DiagnosticPorts",
    ];

    /// <summary>The source, or null while no listener can be expected; checked before paying for an event's text.</summary>
    public static CandorEventSource? Source => s_source;

    /// <summary>Builds the source once and returns it. Never throws.</summary>
    public static CandorEventSource? Start()
    {
        if (s_source is { } source)
        {
            return source;
        }

        lock (Gate)
        {
            try
            {
                return s_source ??= new CandorEventSource();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // EventSource is off in this process (EventSourceSupport=false) or failed to register: nothing listens.
                return null;
            }
        }
    }

    /// <summary>Whether <paramref name="environment"/> tells the runtime to trace from its start.</summary>
    public static bool AskedAtStart(IEnvironment environment)
    {
        foreach (var variable in StartTracingVariables)
        {
            var value = environment.Get(variable);
            if (!string.IsNullOrEmpty(value) && value != "0")
            {
                return true;
            }
        }

        return false;
    }
}
