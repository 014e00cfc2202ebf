using Candor.Storage;

namespace Candor.Tests.Support;

/// <summary>
/// The physical file system, recording every call that changes the disk, and able to fail chosen calls
/// (tests run as root, so permissions cannot make a real folder read-only).
/// </summary>
internal sealed class RecordingFileSystem : IFileSystem
{
    private readonly IFileSystem _inner;
    private readonly List<string> _changes = [];
    private readonly Lock _gate = new();
    private int _listings;

    public RecordingFileSystem(IFileSystem? inner = null)
    {
        _inner = inner ?? PhysicalFileSystem.Instance;
    }

    /// <summary>When set, every call that changes the disk throws this.</summary>
    public Func<string, Exception>? FailWrites { get; set; }

    /// <summary>When set, every read throws this.</summary>
    public Func<string, Exception>? FailReads { get; set; }

    /// <summary>When set, TryLock reports the lock as held by another process.</summary>
    public bool LockHeldElsewhere { get; set; }

    public IReadOnlyList<string> Changes
    {
        get
        {
            lock (_gate)
            {
                return [.. _changes];
            }
        }
    }

    public void CreatePrivateDirectory(string path)
    {
        Change("mkdir", path);
        _inner.CreatePrivateDirectory(path);
    }

    public byte[]? ReadAllBytesOrNull(string path)
    {
        Read(path);
        RecordContents(path);
        return _inner.ReadAllBytesOrNull(path);
    }

    public FileContents ReadFile(string path, int maxBytes)
    {
        Read(path);
        RecordContents(path);
        return _inner.ReadFile(path, maxBytes);
    }

    /// <summary>Every file whose contents were asked for, in order, whether it was there or not.</summary>
    public IReadOnlyList<string> ContentReads
    {
        get
        {
            lock (_gate)
            {
                return [.. _contentReads];
            }
        }
    }

    private readonly List<string> _contentReads = [];

    private void RecordContents(string path)
    {
        lock (_gate)
        {
            _contentReads.Add(path);
        }
    }

    public PathKind Kind(string path)
    {
        Read(path);
        return _inner.Kind(path);
    }

    public string? SetAside(string path)
    {
        Change("set-aside", path);
        return _inner.SetAside(path);
    }

    public void WriteAtomic(string path, ReadOnlySpan<byte> contents, bool durable)
    {
        Change(durable ? "write" : "write-unflushed", path);
        _inner.WriteAtomic(path, contents, durable);
    }

    public void AppendLines(string path, ReadOnlySpan<byte> contents)
    {
        Change("append", path);
        _inner.AppendLines(path, contents);
    }

    public void DeleteFile(string path)
    {
        Change("delete", path);
        _inner.DeleteFile(path);
    }

    public void DeleteDirectory(string path)
    {
        Change("rmdir", path);
        _inner.DeleteDirectory(path);
    }

    public void Move(string from, string to)
    {
        Change("move", to);
        _inner.Move(from, to);
    }

    public bool FileExists(string path)
    {
        Read(path);
        return _inner.FileExists(path);
    }

    /// <summary>How many folders were listed.</summary>
    public int Listings => Volatile.Read(ref _listings);

    public IReadOnlyList<string> ListFiles(string directory, string pattern)
    {
        Interlocked.Increment(ref _listings);
        Read(directory);
        return _inner.ListFiles(directory, pattern);
    }

    public IReadOnlyList<string> ListDirectories(string directory)
    {
        Interlocked.Increment(ref _listings);
        Read(directory);
        return _inner.ListDirectories(directory);
    }

    /// <summary>How many files were measured (<see cref="FileLength"/>).</summary>
    public int Measured => Volatile.Read(ref _measured);

    private int _measured;

    public long FileLength(string path)
    {
        Interlocked.Increment(ref _measured);
        Read(path);
        return _inner.FileLength(path);
    }

    public DateTimeOffset? LastWriteTime(string path)
    {
        Read(path);
        return _inner.LastWriteTime(path);
    }

    public IDisposable? TryLock(string path)
    {
        Change("lock", path);
        return LockHeldElsewhere ? null : _inner.TryLock(path);
    }

    private void Change(string kind, string path)
    {
        lock (_gate)
        {
            _changes.Add($"{kind} {path}");
        }

        if (FailWrites is { } fail)
        {
            throw fail(path);
        }
    }

    private void Read(string path)
    {
        if (FailReads is { } fail)
        {
            throw fail(path);
        }
    }
}
