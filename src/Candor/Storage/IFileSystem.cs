namespace Candor.Storage;

/// <summary>
/// The file operations the SDK needs, as one seam so tests can make a disk full or a folder read-only
/// without depending on the user they run as (root ignores permissions). Every method may throw
/// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>; callers catch them in one place.
/// </summary>
internal interface IFileSystem
{
    /// <summary>Creates a folder (and its parents) readable by its owner only.</summary>
    void CreatePrivateDirectory(string path);

    /// <summary>
    /// Reads a whole file, or returns <see langword="null"/> when it does not exist. Never waits on a named pipe or
    /// a device: anything that is not a file fails the read with <see cref="IOException"/>.
    /// </summary>
    byte[]? ReadAllBytesOrNull(string path);

    /// <summary>
    /// Reads a whole file of at most <paramref name="maxBytes"/> bytes, never waiting: a folder, a named pipe, a
    /// device or a looping link in the file's place is reported as <see cref="FileState.NotAFile"/>, and a larger
    /// file as <see cref="FileState.TooLarge"/> without being read in full.
    /// </summary>
    FileContents ReadFile(string path, int maxBytes);

    /// <summary>What stands at <paramref name="path"/>, found without waiting.</summary>
    PathKind Kind(string path);

    /// <summary>
    /// Moves whatever stands at <paramref name="path"/> (a file, a folder, a named pipe, a link: the link itself)
    /// out of the way, to a name <see cref="SetAsideName"/> makes beside it, and deletes the oldest set-aside copies
    /// of that path past <see cref="SetAsideName.Copies"/>. Returns the new path, or null when nothing was there.
    /// </summary>
    string? SetAside(string path);

    /// <summary>
    /// Replaces a file's contents atomically (a temporary file, then a rename), owner-only. Either way the
    /// file survives the process's crash or kill. When <paramref name="durable"/>, the contents are also
    /// flushed to the disk before the rename, so the file survives a power loss or an OS crash too; that
    /// flush can take tens of milliseconds on a slow disk.
    /// </summary>
    void WriteAtomic(string path, ReadOnlySpan<byte> contents, bool durable);

    /// <summary>
    /// Appends lines to a file, creating it owner-only; something that is not a file in its place is set aside first.
    /// The lines start on a line of their own: when the file does not end with a line break (a line torn by a crash
    /// or a full disk), one is written first, so the torn line never swallows the first new one; otherwise nothing
    /// comes before them, so the file holds no empty line for line-by-line readers to trip on.
    /// </summary>
    void AppendLines(string path, ReadOnlySpan<byte> contents);

    /// <summary>Deletes a file if it exists.</summary>
    void DeleteFile(string path);

    /// <summary>Deletes a folder and everything in it, if it exists.</summary>
    void DeleteDirectory(string path);

    /// <summary>Moves a file, replacing the target.</summary>
    void Move(string from, string to);

    /// <summary>Whether a file exists.</summary>
    bool FileExists(string path);

    /// <summary>The files in a folder that match a pattern; empty when the folder does not exist.</summary>
    IReadOnlyList<string> ListFiles(string directory, string pattern);

    /// <summary>The folders in a folder; empty when the folder does not exist.</summary>
    IReadOnlyList<string> ListDirectories(string directory);

    /// <summary>The size of a file in bytes.</summary>
    long FileLength(string path);

    /// <summary>When a file was last written (UTC); null when no file is there (one look, not two).</summary>
    DateTimeOffset? LastWriteTime(string path);

    /// <summary>
    /// Takes an exclusive cross-process lock on a lock file, or returns <see langword="null"/> when
    /// another process holds it. Disposing the result releases the lock. Something that is not a file in the lock
    /// file's place (a folder, a named pipe) is set aside first; when it cannot be, this throws
    /// <see cref="IOException"/> saying so, rather than reporting the lock as held.
    /// </summary>
    IDisposable? TryLock(string path);
}
