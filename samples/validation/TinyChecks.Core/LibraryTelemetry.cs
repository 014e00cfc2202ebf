using Candor;

namespace TinyChecks;

/// <summary>
/// TinyChecks' one Candor client, built when the library is first used in a process, which is when it reports
/// <c>package-import</c>. Every event is a bare name: the context (anonymous install ID, version, OS, runtime and
/// what hosts it) is all it carries. The user's decision is read from the Candor home, which every environment
/// of the user on the machine shares. A library does not own the process's exit: the client spools what is
/// queued when the process exits.
/// </summary>
internal static class LibraryTelemetry
{
    private static readonly Lazy<CandorClient> Client = new(() =>
    {
        var client = CandorClient.Create(new CandorOptions { Assembly = typeof(LibraryTelemetry).Assembly });
        client.Event("package-import").Track();
        return client;
    });

    /// <summary>Makes sure the library has reported its import; the first call in a process builds the client.</summary>
    public static void Imported() => _ = Client.Value;

    /// <summary>Tracks one of the declared events. Never throws, never blocks.</summary>
    public static void Track(string name) => Client.Value.Event(name).Track();
}
