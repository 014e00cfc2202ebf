using System.Runtime.InteropServices;

namespace Candor.Storage;

/// <summary>
/// C library functions found in the process's own symbols rather than through <c>DllImport("libc")</c>: the library
/// search that a name like <c>libc</c> starts costs a few milliseconds of every run.
/// </summary>
internal static class ProcessSymbols
{
    /// <summary>The address of the function <paramref name="name"/>, or zero on Windows and where it is not exported.</summary>
    public static nint Find(string name)
    {
        if (OperatingSystem.IsWindows())
        {
            return 0;
        }

        try
        {
            return NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), name, out var address) ? address : 0;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException or PlatformNotSupportedException)
        {
            return 0;
        }
    }
}
