using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Candor.Storage;

/// <summary>
/// Opens a path for reading without ever waiting, on Linux, macOS and FreeBSD. .NET opens files without
/// <c>O_NONBLOCK</c>, so opening a named pipe (FIFO) for reading waits until some process opens it for writing,
/// which may be never: a FIFO where a Candor file belongs would hang every tool that reads it. With
/// <c>O_NONBLOCK</c> the open returns at once for a FIFO too, and the caller looks at what it got before reading.
/// </summary>
/// <remarks>
/// <c>open</c> is found in the process's own symbols (<see cref="ProcessSymbols"/>): every run reads a file.
/// </remarks>
internal static unsafe class NonBlockingOpen
{
    private static readonly int Flags = ReadFlags();
    private static readonly int LoopErrno = OperatingSystem.IsLinux() ? 40 : 62;
    private static readonly delegate* unmanaged<byte*, int, int> Open = (delegate* unmanaged<byte*, int, int>)ProcessSymbols.Find("open");

    /// <summary>Whether this platform opens without waiting; elsewhere callers open as .NET does.</summary>
    public static bool IsSupported => Open != null && Flags != 0;

    /// <summary>
    /// Opens <paramref name="path"/> for reading without waiting. Returns null when nothing is there, or when
    /// something that can never be a file is (<paramref name="notAFile"/> is then <see cref="PathKind.Other"/>).
    /// A handle may still be a FIFO, a terminal or a folder: the caller checks.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    /// <exception cref="IOException">Any other failure.</exception>
    public static SafeFileHandle? TryOpen(string path, out PathKind notAFile)
    {
        notAFile = PathKind.Missing;
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new IOException($"'{path}' is not a path");
        }

        Span<byte> name = PathText.Terminated(path, stackalloc byte[512]);

        int fd;
        int errno;
        fixed (byte* text = name)
        {
            do
            {
                Marshal.SetLastSystemError(0);
                fd = Open(text, Flags);
                errno = fd < 0 ? Marshal.GetLastSystemError() : 0;
            }
            while (fd < 0 && errno == Errno.EINTR);
        }

        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        if (errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return null;
        }

        // A link that loops, or a socket (or a device without its driver): nothing a file can be read from.
        if (errno == LoopErrno || errno == Errno.ENXIO)
        {
            notAFile = PathKind.Other;
            return null;
        }

        if (errno is Errno.EACCES or Errno.EPERM)
        {
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        }

        throw Errno.Failure(path, "cannot be opened", errno);
    }

    // O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC: no wait for a FIFO's writer, never a controlling terminal, and
    // not inherited by a process the tool starts. The values differ per kernel; 0 where they are not known here.
    private static int ReadFlags()
    {
        if (OperatingSystem.IsLinux())
        {
            return 0x800 | 0x100 | 0x80000;
        }

        if (OperatingSystem.IsMacOS())
        {
            return 0x4 | 0x20000 | 0x1000000;
        }

        if (OperatingSystem.IsFreeBSD())
        {
            return 0x4 | 0x8000 | 0x100000;
        }

        return 0;
    }
}
