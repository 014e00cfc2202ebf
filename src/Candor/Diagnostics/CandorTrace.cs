using System.Runtime.CompilerServices;
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

    // Set once the source exists. A method that reads s_source loads its type when the JIT compiles it, so the check
    // made for every event reads this instead.
    private static volatile bool s_built;

    // What the runtime reads at start to begin tracing (COMPlus_ is the older prefix it still honours).
    private static readonly string[] StartTracingVariables =
    [
        "DOTNET_EnableEventPipe", "COMPlus_EnableEventPipe", "DOTNET_DiagnosticPorts", "COMPlus_DiagnosticPorts",
    ];

    /// <summary>The source, or null while no listener can be expected; checked before paying for an event's text.</summary>
    public static CandorEventSource? Source => s_source;

    /// <summary>
    /// Whether a listener takes tracked events. Checked for every event; it names no <see cref="CandorEventSource"/>,
    /// so a run that nothing traces never loads the event source's types (and System.Diagnostics.Tracing) for it.
    /// </summary>
    public static bool TracesEvents => s_built && SourceTracesEvents();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool SourceTracesEvents() => s_source is { TracesEvents: true };

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
                s_source ??= new CandorEventSource();
                s_built = true;
                return s_source;
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
