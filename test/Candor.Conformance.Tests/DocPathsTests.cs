using System.Text.RegularExpressions;

namespace Candor.Conformance.Tests;

/// <summary>
/// Every file of the repository the docs name in code spans (<c>`src/…`</c>, <c>`test/…`</c>, <c>`bench/…`</c>)
/// is there, so a file that moves takes the docs with it instead of leaving a newcomer a path to nowhere.
/// </summary>
public partial class DocPathsTests
{
    // Folders made at run time, not kept in the repository.
    private static readonly string[] MadeAtRunTime = ["src/Candor.Collector/data", "bench/.data"];

    public static TheoryData<string> Pages()
    {
        var root = SampleProcess.RepositoryRoot;
        var pages = new TheoryData<string> { "README.md" };
        foreach (var page in Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            pages.Add(Path.GetRelativePath(root, page));
        }

        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void EveryRepositoryPathAPageNames_Exists(string page)
    {
        var root = SampleProcess.RepositoryRoot;
        var missing = RepositoryPath().Matches(DocText.Page(page))
            .Select(m => m.Groups["path"].Value.TrimEnd('/', '.', ','))
            .Where(path => !MadeAtRunTime.Contains(path))
            .Where(path => !Exists(root, path))
            .Distinct()
            .ToList();

        Assert.True(missing.Count == 0, $"{page} names paths that are not in the repository: {string.Join(", ", missing)}");
    }

    // A path with a * matches when any file in its folder matches it.
    private static bool Exists(string root, string path)
    {
        var full = Path.Combine(root, path);
        if (!path.Contains('*', StringComparison.Ordinal))
        {
            return File.Exists(full) || Directory.Exists(full);
        }

        var folder = Path.GetDirectoryName(full)!;
        return Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder, Path.GetFileName(full)).Any();
    }

    [GeneratedRegex(@"`(?<path>(?:src|test|bench|samples)/[A-Za-z0-9_.*/-]+)`")]
    private static partial Regex RepositoryPath();
}
