using System.Text.RegularExpressions;

namespace Candor.Conformance.Tests;

/// <summary>The text of README.md and docs/ as a reader sees it: its fenced blocks and its sections.</summary>
internal static partial class DocText
{
    /// <summary>A page of the repository, by its path from the root.</summary>
    public static string Page(string path) => File.ReadAllText(Path.Combine(SampleProcess.RepositoryRoot, path)).ReplaceLineEndings("\n");

    /// <summary>The text of a page from the heading <paramref name="heading"/> to the next heading of the same level.</summary>
    public static string Section(string page, string heading)
    {
        var start = page.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no heading '{heading}'");
        var level = heading[..(heading.IndexOf(' ', StringComparison.Ordinal) + 1)];
        var end = page.IndexOf("\n" + level, start + heading.Length + 1, StringComparison.Ordinal);
        return end < 0 ? page[start..] : page[start..end];
    }

    /// <summary>The fenced blocks of <paramref name="text"/> whose info string is exactly <paramref name="info"/>, in order.</summary>
    public static List<string> Blocks(string text, string info)
    {
        var blocks = Fence().Matches(text)
            .Where(m => m.Groups["info"].Value.Trim() == info)
            .Select(m => Unindent(m.Groups["indent"].Value, m.Groups["body"].Value).TrimEnd('\n'))
            .ToList();
        Assert.True(blocks.Count > 0, $"no ```{info} block in the text");
        return blocks;
    }

    // A block inside a list item is indented as its fence is; the reader copies it without that indentation.
    private static string Unindent(string indent, string body) =>
        indent.Length == 0 ? body : string.Join("\n", body.Split('\n').Select(l => l.StartsWith(indent, StringComparison.Ordinal) ? l[indent.Length..] : l));

    [GeneratedRegex(@"^(?<indent>[ \t]*)```(?<info>[^\n`]*)\n(?<body>.*?)^[ \t]*```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();
}
