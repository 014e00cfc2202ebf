using Candor.Protocol;

namespace Candor.Context;

/// <summary>Where this process runs: the part of every event's context that does not depend on the product.</summary>
/// <param name="Os">The OS family: <c>linux</c>, <c>windows</c>, <c>macos</c>, <c>freebsd</c> or <c>other</c>.</param>
/// <param name="OsVersion">The OS name and version, e.g. <c>debian 12</c>, or the kernel version where there is no name.</param>
/// <param name="Arch">The process architecture, lower case: <c>x64</c>, <c>arm64</c>, ...</param>
/// <param name="Runtime">The .NET runtime version, e.g. <c>8.0.11</c>.</param>
/// <param name="Ci">The CI vendor, or null when this is not a CI run.</param>
/// <param name="Container">Whether the process runs in a container.</param>
/// <param name="Wsl">Whether the process runs under the Windows Subsystem for Linux.</param>
/// <param name="Interactive">Whether a person is at a terminal (standard input and error are not redirected).</param>
/// <param name="Host">What hosts the process: <c>ci</c>, <c>notebook</c>, <c>container</c> or <c>process</c>.</param>
internal sealed record MachineContext(
    string Os,
    string OsVersion,
    string Arch,
    string Runtime,
    string? Ci,
    bool Container,
    bool Wsl,
    bool Interactive,
    string Host)
{
    /// <summary>
    /// A new wire context for one product's events (each client owns its instance), with every member in its
    /// <see cref="ContextGrammar"/>: a product version with a free-text label is cut to its numbers and label.
    /// </summary>
    public WireContext ToWire(string productVersion) => ContextGrammar.Normalize(new()
    {
        Version = productVersion,
        Os = Os,
        OsVersion = OsVersion,
        Arch = Arch,
        Runtime = Runtime,
        Ci = Ci,
        Container = Container,
        Wsl = Wsl,
        Interactive = Interactive,
        Host = Host,
    });
}
