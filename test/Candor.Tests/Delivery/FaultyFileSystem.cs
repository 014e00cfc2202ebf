using Candor.Storage;

namespace Candor.Tests.Delivery;

/// <summary>
/// The real file system, except where <see cref="Fault"/> says an operation on a path fails: a full disk or
/// a read-only folder that root (who runs the tests in CI) cannot otherwise be given.
/// </summary>
internal sealed class FaultyFileSystem : IFileSystem
{
    private readonly PhysicalFileSystem _inner = PhysicalFileSystem.Instance;

    /// <summary>Given an operation name and a path, the exception to throw, or null to let it through.</summary>
    public Func<string, string, Exception?> Fault { get; set; } = (_, _) => null;

    /// <summary>The exception the kernel gives when writing to a full disk, taken from /dev/full where there is one.</summary>
    public static IOException DiskFull()
    {
        if (File.Exists("/dev/full"))
        {
            try
            {
                using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
                full.Write(new byte[16]);
                full.Flush();
            }
            catch (IOException e)
            {
                return e;
            }
        }

        return new IOException("No space left on device", OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28);
    }

    public void CreatePrivateDirectory(string path)
    {
        Check(nameof(CreatePrivateDirectory), path);
        _inner.CreatePrivateDirectory(path);
    }

    public byte[]? ReadAllBytesOrNull(string path)
    {
        Check(nameof(ReadAllBytesOrNull), path);
        return _inner.ReadAllBytesOrNull(path);
    }

    public FileContents ReadFile(string path, int maxBytes)
    {
        Check(nameof(ReadFile), path);
        return _inner.ReadFile(path, maxBytes);
    }

    public PathKind Kind(string path) => _inner.Kind(path);

    public string? SetAside(string path)
    {
        Check(nameof(SetAside), path);
        return _inner.SetAside(path);
    }

    public void WriteAtomic(string path, ReadOnlySpan<byte> contents, bool durable)
    {
        Check(nameof(WriteAtomic), path);
        _inner.WriteAtomic(path, contents, durable);
    }

    public void AppendLines(string path, ReadOnlySpan<byte> contents)
    {
        Check(nameof(AppendLines), path);
        _inner.AppendLines(path, contents);
    }

    public void DeleteFile(string path)
    {
        Check(nameof(DeleteFile), path);
        _inner.DeleteFile(path);
    }

    public void DeleteDirectory(string path)
    {
        Check(nameof(DeleteDirectory), path);
        _inner.DeleteDirectory(path);
    }

    public void Move(string from, string to)
    {
        Check(nameof(Move), from);
        _inner.Move(from, to);
    }

    public bool FileExists(string path) => _inner.FileExists(path);

    public IReadOnlyList<string> ListFiles(string directory, string pattern)
    {
        Check(nameof(ListFiles), directory);
        return _inner.ListFiles(directory, pattern);
    }

    public IReadOnlyList<string> ListDirectories(string directory)
    {
        Check(nameof(ListDirectories), directory);
        return _inner.ListDirectories(directory);
    }

    public long FileLength(string path) => _inner.FileLength(path);

    public DateTimeOffset? LastWriteTime(string path) => _inner.LastWriteTime(path);

    public IDisposable? TryLock(string path)
    {
        Check(nameof(TryLock), path);
        return _inner.TryLock(path);
    }

    private void Check(string operation, string path)
    {
        if (Fault(operation, path) is { } fault)
        {
            throw fault;
        }
    }
}
