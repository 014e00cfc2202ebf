using System.Reflection;

namespace Candor.Tracking;

/// <summary>
/// What every event of one client carries besides its own values: who (the install and session), where
/// (the context, already serialised once), the install's deletion verifier when the events are uploaded, and the
/// keys of the privacy transforms, and what a stack signature may name: the tool's own assemblies and the manifest's
/// declared namespaces.
/// Made once, lazily, on the background writer so start-up pays nothing for it.
/// </summary>
internal sealed record EventStamp(
    string Product,
    int Revision,
    Guid Install,
    Guid Session,
    string? Verifier,
    byte[] ContextJson,
    byte[] HashKey,
    Func<Assembly, bool> IsOwnAssembly,
    IReadOnlyList<string> Namespaces);
