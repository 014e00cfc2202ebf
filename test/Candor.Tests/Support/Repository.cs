namespace Candor.Tests.Support;

/// <summary>The repository the tests run from, for files they check against (docs, samples' manifests).</summary>
internal static class Repository
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Candor.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Candor.slnx above {AppContext.BaseDirectory}");
    }
}
