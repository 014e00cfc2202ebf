using System.Runtime.CompilerServices;

namespace CliTool;

/// <summary>Code in the tool's own namespace, so that a thrown exception has a frame the manifest declares.</summary>
internal static class Commands
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fail() => throw new InvalidOperationException(Candor.Collector.Tests.Interop.InteropTool.Canary);
}
