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
        // Most of the files read are often absent (the machine policy, a first run's settings), and the first
        // exception a process throws costs it tens of milliseconds; the catches below only cover a race. A
        // folder in the file's place exists, and fails the read as it always did.
        if (!Path.Exists(path))
        {
            return null;
        }

        try
        {
            return File.ReadAllBytes(path);
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

    public void WriteAtomic(string path, ReadOnlySpan<byte> contents, bool durable)
    {
        // A unique temporary name in the same folder, so the rename is atomic and two writers never share it.
        var temp = path + "." + GuidText.Digits(Guid.NewGuid()) + ".tmp";
        try
        {
            using (var stream = Create(temp, FileMode.CreateNew))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: durable);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public void Append(string path, ReadOnlySpan<byte> contents)
    {
        using var stream = Create(path, FileMode.Append);
        stream.Write(contents);
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

    public DateTimeOffset LastWriteTime(string path) => File.GetLastWriteTimeUtc(path);

    public IDisposable? TryLock(string path)
    {
        try
        {
            // FileShare.None is an advisory exclusive lock (flock) on Unix and a share lock on Windows:
            // either way a second process cannot open the file until the first disposes it.
            return Create(path, FileMode.OpenOrCreate, FileShare.None);
        }
        catch (IOException)
        {
            return null;
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
