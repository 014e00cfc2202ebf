using Candor;

namespace TinyInference;

/// <summary>
/// The library's one Candor client, built on first use and only while telemetry is enabled, so an application
/// that disables telemetry before its first session makes the library touch no file at all. A library does not
/// own the process's exit: the client spools what is queued when the process exits.
/// </summary>
internal static class LibraryTelemetry
{
    private static readonly object Gate = new();
    private static CandorClient? s_client;

    /// <summary>The client, or null while the application has telemetry disabled and none was built yet.</summary>
    public static CandorClient? Client
    {
        get
        {
            if (s_client is { } built)
            {
                return built;
            }

            if (CandorTelemetry.IsDisabled(InferenceEnvironment.Product))
            {
                return null;
            }

            lock (Gate)
            {
                return s_client ??= CandorClient.Create(new CandorOptions { Assembly = typeof(LibraryTelemetry).Assembly });
            }
        }
    }
}
