using System.Text.Json;
using Candor.Catalog;
using Candor.Consent;
using Candor.Delivery;
using Candor.Identity;
using Candor.Json;
using Candor.Storage;

namespace Candor.CommandLine.Inspection;

/// <summary>
/// A file of the Candor home that Candor could not use: one it set aside (renamed beside where it was, or moved to a
/// spool's <c>corrupt/</c> folder), or one still in place that the next run of a tool that needs it sets aside.
/// </summary>
/// <param name="File">Where the file belongs, relative to the home, with '/' (<c>settings.json</c>, <c>products/pack/delivery.json</c>).</param>
/// <param name="Path">Where it is now: the set-aside copy, or the file itself.</param>
/// <param name="Problem">What is wrong with it, as a predicate: "is not UTF-8 text", "is a folder, not a file".</param>
/// <param name="SetAside">Whether Candor moved it out of the way.</param>
/// <param name="At">When it was set aside, when the name says so.</param>
internal sealed record FileIssue(string File, string Path, string Problem, bool SetAside, DateTimeOffset? At);

/// <summary>Finds the <see cref="FileIssue"/>s of a home, for <c>candor status</c>. Reads only; never throws.</summary>
internal sealed class HomeFileIssues
{
    private readonly CandorHome _home;
    private readonly IFileSystem _files;
    private readonly TimeProvider _time;
    private readonly List<FileIssue> _issues = [];

    private HomeFileIssues(CandorHome home, IFileSystem files, TimeProvider time)
    {
        _home = home;
        _files = files;
        _time = time;
    }

    /// <summary>The machine's own files' issues, then those of <paramref name="products"/>.</summary>
    public static IReadOnlyList<FileIssue> Find(CandorHome home, IFileSystem files, TimeProvider time, IReadOnlyList<string> products)
    {
        var finder = new HomeFileIssues(home, files, time);
        finder.FindMachine(products);
        foreach (var product in products)
        {
            finder.FindProduct(product);
        }

        return finder._issues;
    }

    private void FindMachine(IReadOnlyList<string> products)
    {
        SetAsideBeside(_home.Root, name => name is "settings.json" or "settings.lock" or "upload.lock" or "products" or "catalog");
        InPlace(_home.SettingsFile, new SettingsStore(_home, _files, _time).ReadFile().Problem);
        foreach (var folder in new[] { _home.ProductsDirectory, _home.CatalogDirectory })
        {
            NotAFolder(folder);
        }

        foreach (var lockFile in new[] { _home.SettingsLock, _home.UploadLock })
        {
            NotAFile(lockFile);
        }

        var wanted = new HashSet<string>(products, StringComparer.Ordinal);
        SetAsideBeside(_home.ProductsDirectory, wanted.Contains);
        SetAsideBeside(_home.CatalogDirectory, name => name.EndsWith(".json", StringComparison.Ordinal) && wanted.Contains(name[..^".json".Length]));
    }

    private void FindProduct(string product)
    {
        var folder = _home.ProductDirectory(product);
        NotAFolder(folder);
        InPlace(_home.CatalogFile(product), new ProductRecordStore(_home, _files).ReadDocument(product).Problem);
        InPlace(_home.IdentityFile(product), new IdentityStore(_home, _files, _time).ReadFile(product).Problem);
        InPlace(_home.DeliveryState(product), new DeliveryStateStore(_home.DeliveryState(product), _files).Read().Problem);
        foreach (var file in new[] { _home.IdentityLock(product), _home.SentLog(product), _home.RejectedLog(product), _home.LocalLog(product) })
        {
            NotAFile(file);
        }

        Lines(_home.SentLog(product), () => new TransparencyLog(_home, product, _files, new DeliveryOptions()).Read());
        Lines(_home.LocalLog(product), () => DisposeAll(new JsonLinesLog(_home.LocalLog(product), long.MaxValue, _files, createsFolder: false).ReadObjects()));
        SetAsideBeside(folder, _ => true);
        var spoolFolder = _home.SpoolDirectory(product);
        NotAFolder(spoolFolder);
        var spool = new Spool(_home, product, _files, _time, new DeliveryOptions(), new DeliveryCounters());
        foreach (var (path, problem) in spool.Inspect().Unusable)
        {
            Add(new FileIssue(Relative(path), path, problem, SetAside: false, At: null));
        }

        foreach (var path in spool.ListSetAside())
        {
            Add(new FileIssue(Relative(Path.Combine(spoolFolder, Path.GetFileName(path))), path, Diagnose(path, spooled: true), SetAside: true, At: null));
        }
    }

    // The copies set aside beside their place in <folder> whose original name passes <wanted>.
    private void SetAsideBeside(string folder, Func<string, bool> wanted)
    {
        string[] entries;
        try
        {
            entries = Directory.Exists(folder) ? Directory.GetFileSystemEntries(folder, SetAsideName.Pattern("*")) : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        Array.Sort(entries, StringComparer.Ordinal);
        foreach (var path in entries)
        {
            if (SetAsideName.TryParse(path, out var original, out var at) && wanted(original))
            {
                Add(new FileIssue(Relative(Path.Combine(folder, original)), path, Diagnose(path, spooled: false), SetAside: true, at));
            }
        }
    }

    // A log that one line of bad text keeps from being read at all (events, status and forget then show none of it).
    private void Lines(string path, Func<object> read)
    {
        try
        {
            read();
        }
        catch (Exception ex) when (JsonProblems.IsMalformed(ex))
        {
            InPlace(path, "holds a line that is not valid UTF-8 or Unicode, so none of it can be shown");
        }
    }

    private static object DisposeAll(IReadOnlyList<JsonDocument> documents)
    {
        foreach (var document in documents)
        {
            document.Dispose();
        }

        return documents;
    }

    private void InPlace(string path, string? problem)
    {
        if (problem is not null)
        {
            Add(new FileIssue(Relative(path), path, problem, SetAside: false, At: null));
        }
    }

    private void NotAFile(string path)
    {
        var kind = Kind(path);
        if (kind is PathKind.Folder or PathKind.Other)
        {
            InPlace(path, "is " + FileContents.Describe(kind));
        }
    }

    private void NotAFolder(string path)
    {
        var kind = Kind(path);
        if (kind is PathKind.File or PathKind.Other)
        {
            InPlace(path, kind == PathKind.File ? "is a file, not a folder" : "is " + FileContents.Describe(kind));
        }
    }

    // Why a set-aside copy could not be used, found again by looking at it: its name does not say.
    private string Diagnose(string path, bool spooled)
    {
        var kind = Kind(path);
        if (kind != PathKind.File)
        {
            return "is " + FileContents.Describe(kind);
        }

        var file = HomeFiles.Read<object>(_files, path, HomeFiles.MaxCatalogBytes, static json =>
        {
            // Every string read once: a lone surrogate escape only shows when its text is.
            var reader = new Utf8JsonReader(json, JsonValues.HandEdited);
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    reader.GetString();
                }
            }

            return null;
        });
        return file.Problem ?? (spooled ? "is not an event (not one JSON object with an 'id')" : "is not what Candor writes there");
    }

    private PathKind Kind(string path)
    {
        try
        {
            return _files.Kind(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return PathKind.Missing;
        }
    }

    private string Relative(string path) => Path.GetRelativePath(_home.Root, path).Replace(Path.DirectorySeparatorChar, '/');

    private void Add(FileIssue issue)
    {
        // The same place may be reached twice (a product folder's own copy and the products/ listing).
        if (!_issues.Exists(i => i.Path == issue.Path))
        {
            _issues.Add(issue);
        }
    }
}
