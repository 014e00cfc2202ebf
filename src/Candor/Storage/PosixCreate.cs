using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Candor.Storage;

/// <summary>
/// Writes a new file with the C library's <c>open</c>, <c>write</c> and <c>fsync</c>, on Linux. A
/// <see cref="FileStream"/> opened for writing first checks that no deserialization is in progress (an async-local
/// and the thread's tracker), asks for the file system's type and sets up its strategy: first calls that the run
/// spooling its first event paid before writing it (the whole spool write took 1.2 ms at the median after the change,
/// creating and writing the file 0.27 ms of it).
/// </summary>
/// <remarks>
/// The functions are found in the process's own symbols (<see cref="ProcessSymbols"/>). Linux only: <c>open</c>
/// takes the new file's mode as a variadic argument, which some other platforms (macOS on Arm) pass where a plain
/// call does not put it; there <see cref="PhysicalFileSystem"/> writes through a <see cref="FileStream"/>.
/// </remarks>
internal static unsafe class PosixCreate
{
    // O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC: a file that did not exist, never a controlling terminal,
    // not inherited by a process the tool starts.
    private const int CreateNewFlags = 0x1 | 0x40 | 0x80 | 0x100 | 0x80000;

    private static readonly delegate* unmanaged<byte*, int, int, int> Open = (delegate* unmanaged<byte*, int, int, int>)FindLinux("open");
    private static readonly delegate* unmanaged<int, byte*, nint, nint> Write = (delegate* unmanaged<int, byte*, nint, nint>)FindLinux("write");
    private static readonly delegate* unmanaged<int, int> Fsync = (delegate* unmanaged<int, int>)FindLinux("fsync");

    /// <summary>Whether this platform writes new files this way.</summary>
    [SupportedOSPlatformGuard("linux")]
    public static bool IsSupported => Open != null && Write != null && Fsync != null;

    /// <summary>
    /// Creates <paramref name="path"/>, which must not exist, with <paramref name="mode"/> (less the process's umask),
    /// writes <paramref name="contents"/> to it and, when <paramref name="durable"/>, flushes it to the disk.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder is missing.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    /// <exception cref="IOException">Any other failure, with the error number in <see cref="Exception.HResult"/>.</exception>
    public static void WriteNew(string path, ReadOnlySpan<byte> contents, bool durable, UnixFileMode mode)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new IOException($"'{path}' is not a path");
        }

        using var handle = CreateNew(path, mode);
        WriteAll(handle, contents, path);
        if (durable && Fsync((int)handle.DangerousGetHandle()) != 0)
        {
            throw Errno.Failure(path, "cannot be flushed to the disk", Marshal.GetLastSystemError());
        }
    }

    /// <summary>Writes all of <paramref name="contents"/> to <paramref name="handle"/> (<paramref name="path"/> names it in an error).</summary>
    internal static void WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> contents, string path)
    {
        var fd = (int)handle.DangerousGetHandle();
        fixed (byte* start = contents)
        {
            // A write may take less than asked (a signal, a full pipe): the rest is written again.
            for (var written = 0; written < contents.Length;)
            {
                Marshal.SetLastSystemError(0);
                var done = Write(fd, start + written, contents.Length - written);
                if (done >= 0)
                {
                    written += (int)done;
                    continue;
                }

                var errno = Marshal.GetLastSystemError();
                if (errno != Errno.EINTR)
                {
                    throw Errno.Failure(path, "cannot be written", errno);
                }
            }
        }
    }

    private static SafeFileHandle CreateNew(string path, UnixFileMode mode)
    {
        Span<byte> name = PathText.Terminated(path, stackalloc byte[512]);
        int fd;
        int errno;
        fixed (byte* text = name)
        {
            do
            {
                Marshal.SetLastSystemError(0);
                fd = Open(text, CreateNewFlags, (int)mode);
                errno = fd < 0 ? Marshal.GetLastSystemError() : 0;
            }
            while (fd < 0 && errno == Errno.EINTR);
        }

        if (fd < 0)
        {
            throw errno switch
            {
                Errno.ENOENT or Errno.ENOTDIR => new DirectoryNotFoundException($"Could not find a part of the path '{path}'."),
                Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
                _ => Errno.Failure(path, "cannot be created", errno),
            };
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static nint FindLinux(string name) => OperatingSystem.IsLinux() ? ProcessSymbols.Find(name) : 0;
}
