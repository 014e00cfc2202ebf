namespace Candor.Storage;

/// <summary>
/// Files and folders held in memory, for a tool's own tests (<see cref="CandorClient.CreateForTesting"/>): the client
/// then resolves consent, keeps its identity and records its product exactly as a real run does, without touching
/// the user's disk. Only files and folders exist here; no lock is ever held by another process. Thread-safe.
/// </summary>
internal sealed class MemoryFileSystem(TimeProvider time) : IFileSystem
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (byte[] Bytes, DateTimeOffset Written)> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _folders = new(StringComparer.Ordinal);
    private readonly HashSet<string> _locks = new(StringComparer.Ordinal);

    public void CreatePrivateDirectory(string path)
    {
        lock (_gate)
        {
            for (var folder = Normal(path); !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
            {
                if (_files.ContainsKey(folder))
                {
                    throw new IOException($"'{folder}' is a file");
                }

                _folders.Add(folder);
            }
        }
    }

    public byte[]? ReadAllBytesOrNull(string path)
    {
        lock (_gate)
        {
            var key = Normal(path);
            return _files.TryGetValue(key, out var file) ? [.. file.Bytes]
                : _folders.Contains(key) ? throw new IOException($"'{path}' is a folder")
                : null;
        }
    }

    public FileContents ReadFile(string path, int maxBytes)
    {
        lock (_gate)
        {
            var key = Normal(path);
            return _files.TryGetValue(key, out var file)
                ? file.Bytes.Length > maxBytes ? FileContents.TooLarge(maxBytes) : FileContents.Of([.. file.Bytes])
                : _folders.Contains(key) ? FileContents.NotAFile(PathKind.Folder) : FileContents.Missing;
        }
    }

    public PathKind Kind(string path)
    {
        lock (_gate)
        {
            var key = Normal(path);
            return _files.ContainsKey(key) ? PathKind.File : _folders.Contains(key) ? PathKind.Folder : PathKind.Missing;
        }
    }

    public string? SetAside(string path)
    {
        lock (_gate)
        {
            var key = Normal(path);
            var kind = Kind(key);
            if (kind == PathKind.Missing)
            {
                return null;
            }

            var target = SetAsideName.For(key, time.GetUtcNow());
            if (kind == PathKind.File)
            {
                _files[target] = _files[key];
                _files.Remove(key);
            }
            else
            {
                MoveFolder(key, target);
            }

            var copies = ListFiles(Path.GetDirectoryName(key)!, SetAsideName.Pattern(Path.GetFileName(key)))
                .Concat(ListDirectories(Path.GetDirectoryName(key)!).Where(d => Path.GetFileName(d).StartsWith(Path.GetFileName(key) + SetAsideName.Marker, StringComparison.Ordinal)))
                .Where(copy => copy != target)
                .Order(StringComparer.Ordinal)
                .ToList();

            // The copy just made stays: copies made within one millisecond sort by their random suffix.
            foreach (var old in copies.Take(Math.Max(0, copies.Count - (SetAsideName.Copies - 1))))
            {
                _files.Remove(old);
                DeleteDirectory(old);
            }

            return target;
        }
    }

    public void WriteAtomic(string path, ReadOnlySpan<byte> contents, bool durable)
    {
        var bytes = contents.ToArray();
        lock (_gate)
        {
            var key = Normal(path);
            RequireFolder(key);
            _files[key] = (bytes, time.GetUtcNow());
        }
    }

    public void AppendLines(string path, ReadOnlySpan<byte> contents)
    {
        var bytes = contents.ToArray();
        lock (_gate)
        {
            var key = Normal(path);
            if (_folders.Contains(key))
            {
                SetAside(key);
            }

            RequireFolder(key);
            var old = _files.TryGetValue(key, out var file) ? file.Bytes : [];
            byte[] separator = old.Length > 0 && old[^1] != (byte)'\n' ? [(byte)'\n'] : [];
            _files[key] = ([.. old, .. separator, .. bytes], time.GetUtcNow());
        }
    }

    public void DeleteFile(string path)
    {
        lock (_gate)
        {
            // As on the disk: a missing file is nothing to delete, but a missing folder fails.
            var key = Normal(path);
            RequireFolder(key);
            _files.Remove(key);
        }
    }

    public void DeleteDirectory(string path)
    {
        lock (_gate)
        {
            var key = Normal(path);
            var inside = key + Path.DirectorySeparatorChar;
            _folders.RemoveWhere(f => f == key || f.StartsWith(inside, StringComparison.Ordinal));
            foreach (var file in _files.Keys.Where(f => f.StartsWith(inside, StringComparison.Ordinal)).ToList())
            {
                _files.Remove(file);
            }
        }
    }

    public void Move(string from, string to)
    {
        lock (_gate)
        {
            var source = Normal(from);
            var target = Normal(to);
            if (!_files.TryGetValue(source, out var file))
            {
                throw new FileNotFoundException($"'{from}' does not exist", from);
            }

            RequireFolder(target);
            _files.Remove(source);
            _files[target] = file;
        }
    }

    public bool FileExists(string path)
    {
        lock (_gate)
        {
            return _files.ContainsKey(Normal(path));
        }
    }

    public IReadOnlyList<string> ListFiles(string directory, string pattern)
    {
        lock (_gate)
        {
            var folder = Normal(directory);
            return [.. _files.Keys.Where(f => Path.GetDirectoryName(f) == folder && Matches(Path.GetFileName(f), pattern)).Order(StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<string> ListDirectories(string directory)
    {
        lock (_gate)
        {
            var folder = Normal(directory);
            return [.. _folders.Where(f => Path.GetDirectoryName(f) == folder).Order(StringComparer.Ordinal)];
        }
    }

    public long FileLength(string path)
    {
        lock (_gate)
        {
            return _files.TryGetValue(Normal(path), out var file) ? file.Bytes.Length : throw new FileNotFoundException($"'{path}' does not exist", path);
        }
    }

    public DateTimeOffset? LastWriteTime(string path)
    {
        lock (_gate)
        {
            return _files.TryGetValue(Normal(path), out var file) ? file.Written : null;
        }
    }

    public IDisposable? TryLock(string path)
    {
        lock (_gate)
        {
            var key = Normal(path);
            if (_folders.Contains(key))
            {
                SetAside(key);
            }

            RequireFolder(key);
            if (!_locks.Add(key))
            {
                return null;
            }

            _files.TryAdd(key, ([], time.GetUtcNow()));
            return new Lock(this, key);
        }
    }

    private static string Normal(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    // The patterns the SDK lists with: a literal name, "*" and "*.ext" or "name*".
    private static bool Matches(string name, string pattern)
    {
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        return star < 0
            ? name == pattern
            : name.Length >= pattern.Length - 1
                && name.StartsWith(pattern[..star], StringComparison.Ordinal)
                && name.EndsWith(pattern[(star + 1)..], StringComparison.Ordinal);
    }

    private void RequireFolder(string path)
    {
        var folder = Path.GetDirectoryName(path);
        if (folder is not null && !_folders.Contains(folder))
        {
            throw new DirectoryNotFoundException($"'{folder}' does not exist");
        }
    }

    private void MoveFolder(string from, string to)
    {
        var inside = from + Path.DirectorySeparatorChar;
        foreach (var folder in _folders.Where(f => f == from || f.StartsWith(inside, StringComparison.Ordinal)).ToList())
        {
            _folders.Remove(folder);
            _folders.Add(to + folder[from.Length..]);
        }

        foreach (var file in _files.Where(f => f.Key.StartsWith(inside, StringComparison.Ordinal)).ToList())
        {
            _files.Remove(file.Key);
            _files[to + file.Key[from.Length..]] = file.Value;
        }
    }

    private sealed class Lock(MemoryFileSystem files, string path) : IDisposable
    {
        public void Dispose()
        {
            lock (files._gate)
            {
                files._locks.Remove(path);
            }
        }
    }
}
