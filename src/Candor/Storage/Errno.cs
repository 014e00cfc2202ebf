using System.Runtime.InteropServices;

namespace Candor.Storage;

/// <summary>
/// The C library's error numbers that Candor's own calls to it (<see cref="NonBlockingOpen"/>, <see cref="PosixRead"/>,
/// <see cref="PosixCreate"/>, <see cref="AdvisoryLock"/>) tell apart: the same on Linux, macOS and FreeBSD.
/// </summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;

    /// <summary>A FIFO, a socket or a terminal cannot seek.</summary>
    public const int ESPIPE = 29;

    /// <summary>As the runtime reports an I/O error on Unix: the error number in HResult (the spool tells a full disk by it).</summary>
    public static IOException Failure(string path, string what, int errno) =>
        new($"'{path}' {what}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
}
