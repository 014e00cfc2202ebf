using Candor.Storage;

namespace Candor.CommandLine.Tests.Support;

/// <summary>A Candor home of the test's own in a fresh temporary folder, deleted afterwards.</summary>
internal sealed class TempHome : IDisposable
{
    public TempHome()
    {
        Root = Path.Combine(Path.GetTempPath(), "candor-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Home = new CandorHome(Path.Combine(Root, "home"));
    }

    /// <summary>The test's folder; the home is its <c>home</c> subfolder, created by the first run that needs it.</summary>
    public string Root { get; }

    public CandorHome Home { get; }

    /// <summary>Every file under the home, relative and sorted, with its length and last write time.</summary>
    public IReadOnlyList<string> Snapshot() =>
        Directory.Exists(Home.Root)
            ? [.. Directory.EnumerateFiles(Home.Root, "*", SearchOption.AllDirectories)
                .Select(p => $"{Path.GetRelativePath(Home.Root, p)} {new FileInfo(p).Length} {File.GetLastWriteTimeUtc(p).Ticks}")
                .Order(StringComparer.Ordinal)]
            : [];

    /// <summary>The spooled events of <paramref name="product"/>, as their files hold them.</summary>
    public IReadOnlyList<string> Spooled(string product = "pack")
    {
        var spool = Home.SpoolDirectory(product);
        return Directory.Exists(spool) ? [.. Directory.GetFiles(spool, "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllText)] : [];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
