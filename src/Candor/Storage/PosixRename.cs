using System.Runtime.InteropServices;

namespace Candor.Storage;

/// <summary>
/// Replaces a file by renaming another over it with the C library's <c>rename</c>, on Linux, macOS and FreeBSD.
/// <see cref="File.Move(string, string, bool)"/> first asks whether the source exists, and converts a path of more
/// than about 80 characters (every spool file's) through the shared array pool, whose first use builds the pool, a
/// weak table and the pool's event source: a few hundred first calls in every run that spools an event.
/// </summary>
/// <remarks><c>rename</c> is found in the process's own symbols (<see cref="ProcessSymbols"/>).</remarks>
internal static unsafe class PosixRename
{
    private static readonly delegate* unmanaged<byte*, byte*, int> Rename = (delegate* unmanaged<byte*, byte*, int>)ProcessSymbols.Find("rename");

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/>, replacing it, in one step. Returns false when this
    /// platform has no <c>rename</c> here or the rename failed; the caller then moves as .NET does, which says why.
    /// </summary>
    public static bool TryReplace(string from, string to)
    {
        if (Rename == null || from.Contains('\0', StringComparison.Ordinal) || to.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> source = PathText.Terminated(from, stackalloc byte[512]);
        Span<byte> target = PathText.Terminated(to, stackalloc byte[512]);
        fixed (byte* sourceText = source)
        fixed (byte* targetText = target)
        {
            return Rename(sourceText, targetText) == 0;
        }
    }
}
