using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Candor.Storage;

/// <summary>
/// Takes an exclusive advisory lock (<c>flock</c>) on a lock file without waiting and without an exception when another
/// process holds it, on Linux, macOS and FreeBSD. .NET takes the same lock when a file is opened with
/// <see cref="FileShare.None"/>, but reports a held lock by throwing: the first exception of a process costs a tool's
/// exit tens of milliseconds (the runtime's exception machinery and its message resources), and a held upload lock is
/// the common case when several runs end together. Locks taken here and those .NET takes exclude each other, so
/// processes of other Candor versions are kept out as before.
/// </summary>
/// <remarks><c>flock</c> is found in the process's own symbols (<see cref="ProcessSymbols"/>).</remarks>
internal static unsafe class AdvisoryLock
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    private static readonly delegate* unmanaged<int, int, int> Flock = (delegate* unmanaged<int, int, int>)ProcessSymbols.Find("flock");

    /// <summary>Whether <see cref="TryTake"/> can be used here; where it cannot, callers open with <see cref="FileShare.None"/>.</summary>
    public static bool IsSupported => Flock != null && NonBlockingOpen.IsSupported;

    /// <summary>
    /// The lock on <paramref name="path"/>, held until the result is disposed; null when another process holds it.
    /// The file must exist. Throws only what opening the file throws.
    /// </summary>
    /// <exception cref="IOException">The file is missing or is not a file.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public static SafeFileHandle? TryTake(string path)
    {
        var handle = NonBlockingOpen.TryOpen(path, out var kind)
            ?? throw new IOException($"'{path}' is {FileContents.Describe(kind)}, not a lock file");
        int result;
        do
        {
            Marshal.SetLastSystemError(0);
            result = Flock((int)handle.DangerousGetHandle(), LockExclusive | LockNonBlocking);
        }
        while (result != 0 && Marshal.GetLastSystemError() == Errno.EINTR);

        if (result == 0)
        {
            return handle;
        }

        // Held by another process (EWOULDBLOCK), or a file system without locks, which .NET also reports as held.
        handle.Dispose();
        return null;
    }
}
