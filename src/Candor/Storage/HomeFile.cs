using System.Text.Unicode;
using Candor.Json;

namespace Candor.Storage;

/// <summary>What reading one of the home's JSON files found.</summary>
internal enum HomeFileState
{
    /// <summary>No file.</summary>
    Missing,

    /// <summary>Read and understood: <see cref="HomeFile{T}.Value"/> (null when the file holds JSON <c>null</c>).</summary>
    Read,

    /// <summary>
    /// There, but never usable as it is: not a file, too large, not UTF-8, not the JSON Candor writes there. The
    /// one who would replace it sets it aside first.
    /// </summary>
    Unusable,

    /// <summary>There, but it could not be read now (no permission, an I/O error): left where it is.</summary>
    Unreadable,
}

/// <summary>One of the home's JSON files as read, or why it could not be.</summary>
internal readonly struct HomeFile<T>
    where T : class
{
    public HomeFile(HomeFileState state, T? value = null, string? problem = null)
    {
        State = state;
        Value = value;
        Problem = problem;
    }

    public HomeFileState State { get; }

    public T? Value { get; }

    /// <summary>For people, what is wrong with the file: "is not UTF-8 text", "is a folder, not a file".</summary>
    public string? Problem { get; }
}

/// <summary>
/// Reads the small JSON files of the Candor home (settings, identities, delivery state, the catalogue) the one
/// way that never throws for their contents and never waits: whatever bytes, or whatever kind of file, a file
/// holds, the caller gets the document or a sentence saying why there is none.
/// </summary>
internal static class HomeFiles
{
    /// <summary>The largest settings, identity or delivery-state file read; Candor writes a few hundred bytes.</summary>
    public const int MaxStateBytes = 1024 * 1024;

    /// <summary>The largest catalogue entry read: it holds a product's whole manifest.</summary>
    public const int MaxCatalogBytes = 16 * 1024 * 1024;

    /// <summary>Parses a file's UTF-8 JSON (without a byte order mark).</summary>
    /// <exception cref="System.Text.Json.JsonException">It is not what Candor writes there.</exception>
    public delegate T? Parser<T>(ReadOnlySpan<byte> json);

    /// <summary>Reads and parses <paramref name="path"/>. Never throws for a file-system failure or the file's contents.</summary>
    public static HomeFile<T> Read<T>(IFileSystem files, string path, int maxBytes, Parser<T> parse)
        where T : class
    {
        FileContents contents;
        try
        {
            contents = files.ReadFile(path, maxBytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(HomeFileState.Unreadable, problem: $"cannot be read ({ex.Message})");
        }

        switch (contents.State)
        {
            case FileState.Missing:
                return new(HomeFileState.Missing);
            case FileState.NotAFile or FileState.TooLarge:
                return new(HomeFileState.Unusable, problem: "is " + contents.Problem);
        }

        var json = Utf8Text.WithoutBom(contents.Bytes!);
        if (!Utf8.IsValid(json))
        {
            return new(HomeFileState.Unusable, problem: "is not UTF-8 text");
        }

        try
        {
            return new(HomeFileState.Read, parse(json));
        }
        catch (Exception ex) when (JsonProblems.IsMalformed(ex))
        {
            return new(HomeFileState.Unusable, problem: ex is InvalidOperationException
                ? "holds text that is not valid Unicode (a lone surrogate escape)"
                : $"is not the JSON Candor writes there ({ex.Message})");
        }
    }

    /// <summary>Sets <paramref name="path"/> aside (see <see cref="IFileSystem.SetAside"/>); the new path, or null when it could not be. Never throws.</summary>
    public static string? TrySetAside(IFileSystem files, string path)
    {
        try
        {
            return files.SetAside(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Creates <paramref name="folder"/>, a folder inside <paramref name="home"/>, owner-only; a file, named pipe or
    /// link that stands where it or one of its parents below the home's root belongs is set aside first. The root
    /// itself is never moved: it may be any folder the user named.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be created.</exception>
    public static void CreateFolder(IFileSystem files, CandorHome home, string folder)
    {
        try
        {
            files.CreatePrivateDirectory(folder);
            return;
        }
        catch (IOException) when (ClearWay(files, home, folder))
        {
        }

        files.CreatePrivateDirectory(folder);
    }

    /// <summary>
    /// Sets aside whatever that is not a folder stands where <paramref name="folder"/> (inside <paramref name="home"/>)
    /// or one of its parents below the root belongs. Returns whether anything was. Never throws.
    /// </summary>
    public static bool ClearWay(IFileSystem files, CandorHome home, string folder)
    {
        var relative = Path.GetRelativePath(home.Root, folder);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return false;
        }

        try
        {
            var path = home.Root;
            foreach (var part in relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
            {
                path = Path.Combine(path, part);
                switch (files.Kind(path))
                {
                    case PathKind.Missing:
                        return false;
                    case PathKind.Folder:
                        continue;
                    default:
                        return files.SetAside(path) is not null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return false;
    }
}
