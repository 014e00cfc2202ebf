using Candor.Json;
using Microsoft.Win32.SafeHandles;

namespace Candor.Storage;

/// <summary>The real file system, with owner-only permissions on Unix for everything the SDK writes.</summary>
internal sealed class PhysicalFileSystem : IFileSystem
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static PhysicalFileSystem Instance { get; } = new();

    public void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only and creates the missing
        // parents with the default (usually 0755), which would leave the home and products/ listable by others.
        var missing = new Stack<string>();
        for (var folder = Path.GetFullPath(path); !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
            if (Path.GetDirectoryName(folder) is null)
            {
                break;
            }
        }

        while (missing.TryPop(out var folder))
        {
            Directory.CreateDirectory(folder, OwnerOnlyDirectory);
        }
    }

    public byte[]? ReadAllBytesOrNull(string path)
    {
        var contents = ReadFile(path, Array.MaxLength - 1);
        return contents.State switch
        {
            FileState.Missing => null,
            FileState.Read => contents.Bytes,
            _ => throw new IOException($"'{path}' is {contents.Problem}"),
        };
    }

    public FileContents ReadFile(string path, int maxBytes)
    {
        var handle = Open(path, out var notAFile);
        if (handle is null)
        {
            return notAFile == PathKind.Missing ? FileContents.Missing : FileContents.NotAFile(notAFile);
        }

        using (handle)
        {
            // A folder opens on Unix, reports a size and fails the read: it is looked for only then.
            FileContents contents;
            try
            {
                contents = Read(handle, path, maxBytes);
            }
            catch (IOException) when (Directory.Exists(path))
            {
                return FileContents.NotAFile(PathKind.Folder);
            }

            return contents.State == FileState.TooLarge && Directory.Exists(path) ? FileContents.NotAFile(PathKind.Folder) : contents;
        }
    }

    public PathKind Kind(string path)
    {
        if (Directory.Exists(path))
        {
            return PathKind.Folder;
        }

        if (OperatingSystem.IsWindows() || !NonBlockingOpen.IsSupported)
        {
            return File.Exists(path) ? PathKind.File : PathKind.Missing;
        }

        SafeFileHandle? handle;
        try
        {
            handle = NonBlockingOpen.TryOpen(path, out var notAFile);
            if (handle is null)
            {
                return notAFile;
            }
        }
        catch (UnauthorizedAccessException)
        {
            // Something is there that may not be read: the read that needs it will say so.
            return PathKind.File;
        }

        using (handle)
        {
            return CanSeek(handle, path) ? PathKind.File : PathKind.Other;
        }
    }

    // A FIFO, a socket or a terminal cannot seek; a file can (a seek that fails otherwise counts as cannot, as it does
    // for FileStream.CanSeek).
    private static bool CanSeek(SafeFileHandle handle, string path)
    {
        if (ReadsByTheCLibrary)
        {
            try
            {
                return PosixRead.Length(handle, path) is not null;
            }
            catch (IOException)
            {
                return false;
            }
        }

        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        return stream.CanSeek;
    }

    public string? SetAside(string path)
    {
        var target = SetAsideName.For(path, DateTimeOffset.UtcNow);
        try
        {
            // File.Move renames files, named pipes and links (a link to a folder excepted); Directory.Move the rest.
            File.Move(path, target);
        }
        catch (FileNotFoundException) when (Directory.Exists(path))
        {
            Directory.Move(path, target);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        RemoveOldCopies(path, target);
        return target;
    }

    public void WriteAtomic(string path, ReadOnlySpan<byte> contents, bool durable)
    {
        // A unique temporary name in the same folder, so the rename is atomic and two writers never share it.
        var temp = path + "." + GuidText.Digits(Guid.NewGuid()) + ".tmp";
        try
        {
            if (PosixCreate.IsSupported)
            {
                PosixCreate.WriteNew(temp, contents, durable, OwnerOnlyFile);
            }
            else
            {
                using var stream = Create(temp, FileMode.CreateNew);
                stream.Write(contents);
                stream.Flush(flushToDisk: durable);
            }

            if (!PosixRename.TryReplace(temp, path))
            {
                File.Move(temp, path, overwrite: true);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public void AppendLines(string path, ReadOnlySpan<byte> contents)
    {
        // Opening a FIFO for writing waits for a reader, and a folder cannot be appended to: a log is a file.
        _ = SetAsideIfNotAFile(path);
        var tornLine = !EndsOnLineBreak(path);
        using var stream = Create(path, FileMode.Append);
        if (tornLine)
        {
            stream.Write("\n"u8);
        }

        stream.Write(contents);
    }

    // True for a missing or empty file too: there is no line to finish.
    private static bool EndsOnLineBreak(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            Span<byte> last = stackalloc byte[1];
            return length == 0 || (RandomAccess.Read(handle, last, length - 1) == 1 && last[0] == (byte)'\n');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return true;
        }
    }

    public void DeleteFile(string path) => File.Delete(path);

    public void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    public void Move(string from, string to) => File.Move(from, to, overwrite: true);

    public bool FileExists(string path) => File.Exists(path);

    public IReadOnlyList<string> ListFiles(string directory, string pattern) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory, pattern) : [];

    public IReadOnlyList<string> ListDirectories(string directory) =>
        Directory.Exists(directory) ? Directory.GetDirectories(directory) : [];

    public long FileLength(string path) => new FileInfo(path).Length;

    public DateTimeOffset? LastWriteTime(string path)
    {
        // One stat: FileInfo keeps what it read for Exists (false for a folder too).
        var file = new FileInfo(path);
        return file.Exists ? file.LastWriteTimeUtc : null;
    }

    public IDisposable? TryLock(string path)
    {
        // A folder in the lock file's place would make every attempt fail as if another process held the lock.
        var isFile = SetAsideIfNotAFile(path);
        if (AdvisoryLock.IsSupported)
        {
            // The same flock as below, but a held lock is a null, not an exception (see AdvisoryLock).
            if (!isFile)
            {
                TryLockByOpening(path)?.Dispose();
            }

            return AdvisoryLock.TryTake(path);
        }

        return TryLockByOpening(path);
    }

    // FileShare.None is an advisory exclusive lock (flock) on Unix and a share lock on Windows: either way a second
    // process cannot open the file until the first disposes it.
    private static FileStream? TryLockByOpening(string path)
    {
        try
        {
            return Create(path, FileMode.OpenOrCreate, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Returns whether a file is at the path now: false when nothing was there or something else was set aside.
    private bool SetAsideIfNotAFile(string path)
    {
        var kind = Kind(path);
        if (kind is PathKind.Folder or PathKind.Other)
        {
            try
            {
                SetAside(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"'{path}' is {FileContents.Describe(kind)}, and could not be set aside: {ex.Message}", ex);
            }
        }

        return kind == PathKind.File;
    }

    // Opens for reading without waiting where the platform allows it; null when nothing (or no file) is there.
    private static SafeFileHandle? Open(string path, out PathKind notAFile)
    {
        // Most files read are often absent (the machine policy, a first run's settings): a stat says so before anything
        // is opened. On Unix that also spares a run that reads only absent files looking up the C library's open; on
        // Windows, the first exception a process throws costs it tens of milliseconds, so the catches below only cover
        // a race.
        notAFile = PathKind.Missing;
        if (!Path.Exists(path))
        {
            return path.Contains('\0', StringComparison.Ordinal) ? throw new IOException($"'{path}' is not a path") : null;
        }

        if (!OperatingSystem.IsWindows() && NonBlockingOpen.IsSupported)
        {
            return NonBlockingOpen.TryOpen(path, out notAFile);
        }

        // Windows has no FIFOs in the file system; a folder is refused before it is opened.
        if (Directory.Exists(path))
        {
            notAFile = PathKind.Folder;
            return null;
        }

        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    // Where Open's handles are NonBlockingOpen's, they are read with the C library's calls too (see PosixRead).
    private static bool ReadsByTheCLibrary => !OperatingSystem.IsWindows() && NonBlockingOpen.IsSupported && PosixRead.IsSupported;

    // A FIFO, a socket or a terminal cannot seek, and is no file to read.
    private static FileContents Read(SafeFileHandle handle, string path, int maxBytes)
    {
        if (ReadsByTheCLibrary)
        {
            return PosixRead.Length(handle, path) is { } length
                ? ReadAll(length, maxBytes, (buffer, offset, count) => PosixRead.Read(handle, buffer, offset, count, path))
                : FileContents.NotAFile(PathKind.Other);
        }

        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        return stream.CanSeek ? ReadAll(stream.Length, maxBytes, stream.Read) : FileContents.NotAFile(PathKind.Other);
    }

    // Reads to the end, without trusting the length the file system reports (files under /proc report none).
    private static FileContents ReadAll(long length, int maxBytes, Func<byte[], int, int, int> read)
    {
        if (length > maxBytes)
        {
            return FileContents.TooLarge(maxBytes);
        }

        var buffer = new byte[length == 0 ? Math.Min(4096, maxBytes + 1) : (int)Math.Min(length + 1, (long)maxBytes + 1)];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (filled > maxBytes)
                {
                    return FileContents.TooLarge(maxBytes);
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, (long)maxBytes + 1));
            }

            var n = read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        if (filled > maxBytes)
        {
            return FileContents.TooLarge(maxBytes);
        }

        Array.Resize(ref buffer, filled);
        return FileContents.Of(buffer);
    }

    // The copy just made (kept) stays: copies made within one millisecond sort by their random suffix.
    private static void RemoveOldCopies(string path, string kept)
    {
        try
        {
            var folder = Path.GetDirectoryName(path)!;
            var copies = Directory.GetFileSystemEntries(folder, SetAsideName.Pattern(Path.GetFileName(path))).Where(copy => copy != kept).ToArray();
            Array.Sort(copies, StringComparer.Ordinal);
            for (var i = 0; i < copies.Length - (SetAsideName.Copies - 1); i++)
            {
                var copy = new FileInfo(copies[i]);
                if (copy.Attributes.HasFlag(FileAttributes.Directory) && copy.LinkTarget is null)
                {
                    Directory.Delete(copies[i], recursive: true);
                }
                else
                {
                    File.Delete(copies[i]);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The copy at hand was set aside; the old ones go next time.
        }
    }

    private static FileStream Create(string path, FileMode mode, FileShare share = FileShare.Read)
    {
        var options = new FileStreamOptions
        {
            Mode = mode,
            Access = mode == FileMode.Append ? FileAccess.Write : FileAccess.ReadWrite,
            Share = share,

            // Every write is one whole span: a buffer would only be copied through (and allocated, in every run).
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        return new FileStream(path, options);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
