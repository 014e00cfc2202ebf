using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Candor.Storage;

/// <summary>
/// Reads a file that <see cref="NonBlockingOpen"/> opened with the C library's <c>lseek</c> and <c>read</c>, on Linux,
/// macOS and FreeBSD. A <see cref="FileStream"/> around the handle was the first of its kind in most runs: its
/// strategy's types and first calls cost the run's first file read (the settings) about a quarter of a millisecond,
/// ten times the read.
/// </summary>
/// <remarks>The functions are found in the process's own symbols (<see cref="ProcessSymbols"/>).</remarks>
internal static unsafe class PosixRead
{
    private const int SeekSet = 0;
    private const int SeekEnd = 2;

    private static readonly delegate* unmanaged<int, long, int, long> Seek = (delegate* unmanaged<int, long, int, long>)ProcessSymbols.Find("lseek");
    private static readonly delegate* unmanaged<int, byte*, nint, nint> ReadBytes = (delegate* unmanaged<int, byte*, nint, nint>)ProcessSymbols.Find("read");

    /// <summary>Whether this platform reads files this way.</summary>
    public static bool IsSupported => Seek != null && ReadBytes != null;

    /// <summary>
    /// The length of the file behind <paramref name="handle"/>, its position at the start: 0 when its file system does
    /// not say (<c>/proc</c> does not), as <see cref="FileStream.Length"/>, so it is read to its end; null when it cannot
    /// seek, so it is no file (a FIFO, a socket, a terminal).
    /// </summary>
    /// <exception cref="IOException">Any other failure, with the error number in <see cref="Exception.HResult"/>.</exception>
    public static long? Length(SafeFileHandle handle, string path)
    {
        var fd = (int)handle.DangerousGetHandle();
        Marshal.SetLastSystemError(0);
        var length = Seek(fd, 0, SeekEnd);
        if (length < 0)
        {
            // The position is where it was, at the start: a file system that gives no end (EINVAL) is read to it.
            return Marshal.GetLastSystemError() == Errno.ESPIPE ? null : 0;
        }

        Marshal.SetLastSystemError(0);
        return Seek(fd, 0, SeekSet) == 0 ? length : throw Errno.Failure(path, "cannot be read", Marshal.GetLastSystemError());
    }

    /// <summary>Reads at most <paramref name="count"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/>; 0 at the end.</summary>
    /// <exception cref="IOException">The read failed (a folder fails so), with the error number in <see cref="Exception.HResult"/>.</exception>
    public static int Read(SafeFileHandle handle, byte[] buffer, int offset, int count, string path)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, buffer.Length);
        var fd = (int)handle.DangerousGetHandle();
        fixed (byte* start = buffer)
        {
            while (true)
            {
                Marshal.SetLastSystemError(0);
                var read = ReadBytes(fd, start + offset, count);
                if (read >= 0)
                {
                    return (int)read;
                }

                var errno = Marshal.GetLastSystemError();
                if (errno != Errno.EINTR)
                {
                    throw Errno.Failure(path, "cannot be read", errno);
                }
            }
        }
    }
}
