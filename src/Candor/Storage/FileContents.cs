namespace Candor.Storage;

/// <summary>What stands at a path of the Candor home, as far as Candor can use it.</summary>
internal enum PathKind
{
    /// <summary>Nothing (or a symbolic link to nothing).</summary>
    Missing,

    /// <summary>A regular file (or a link to one).</summary>
    File,

    /// <summary>A folder (or a link to one).</summary>
    Folder,

    /// <summary>Something Candor never made and cannot read or write as a file: a named pipe, a device, a socket, a link that loops.</summary>
    Other,
}

/// <summary>What reading a file found.</summary>
internal enum FileState
{
    /// <summary>No file there.</summary>
    Missing,

    /// <summary>The file was read in full: <see cref="FileContents.Bytes"/>.</summary>
    Read,

    /// <summary>Something that is not a file stands there (see <see cref="FileContents.Problem"/>); it was not opened for longer than a look.</summary>
    NotAFile,

    /// <summary>The file is larger than the reader allowed; it was not read.</summary>
    TooLarge,
}

/// <summary>The result of <see cref="IFileSystem.ReadFile"/>.</summary>
internal readonly struct FileContents
{
    private FileContents(FileState state, byte[]? bytes, string? problem)
    {
        State = state;
        Bytes = bytes;
        Problem = problem;
    }

    public static FileContents Missing => new(FileState.Missing, null, null);

    public FileState State { get; }

    /// <summary>The file's bytes when <see cref="State"/> is <see cref="FileState.Read"/>.</summary>
    public byte[]? Bytes { get; }

    /// <summary>For people, why the file cannot be used: <c>a folder, not a file</c>, <c>larger than 1048576 bytes</c>.</summary>
    public string? Problem { get; }

    public static FileContents Of(byte[] bytes) => new(FileState.Read, bytes, null);

    public static FileContents NotAFile(PathKind kind) => new(FileState.NotAFile, null, Describe(kind));

    public static FileContents TooLarge(long maxBytes) => new(FileState.TooLarge, null, $"larger than {maxBytes} bytes");

    /// <summary>How a path that is not a file reads in a sentence: "settings.json is {this}".</summary>
    public static string Describe(PathKind kind) => kind switch
    {
        PathKind.Folder => "a folder, not a file",
        PathKind.Other => "a named pipe, device, socket or looping link, not a file",
        PathKind.Missing => "missing",
        _ => "a file",
    };
}
