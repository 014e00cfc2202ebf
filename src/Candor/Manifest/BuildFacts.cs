namespace Candor.Manifest;

/// <summary>
/// What the tool's build knew about itself when it compiled the manifest: the version it stamped on the assembly, and
/// the ingestion key and collector address it was given (<c>CandorIngestionKey</c>, <c>CandorEndpoint</c>). The build
/// puts them in the compiled manifest's head (build/Candor.targets), so a run reads them with the manifest instead of
/// asking the assembly's attributes by reflection, which cost a run milliseconds, and a build without a key is known
/// to be private before anything is read for it.
/// </summary>
/// <param name="Version">The assembly's informational version without its source revision, or null when the build did not generate it (the run then asks the assembly).</param>
/// <param name="IngestionKey">The build's ingestion key, or null for a private build.</param>
/// <param name="Endpoint">The collector's address the build was given, or null.</param>
internal sealed record BuildFacts(string? Version, string? IngestionKey, string? Endpoint)
{
    /// <summary>
    /// The facts from the file the build writes: one <c>name=value</c> per line, for <c>version</c>, <c>key</c> and
    /// <c>endpoint</c>; a name without a value, or missing, is null.
    /// </summary>
    /// <exception cref="FormatException">A line is not <c>name=value</c> for one of the three names.</exception>
    public static BuildFacts Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        string? version = null, key = null, endpoint = null;
        foreach (var line in lines)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var value = equals < 0 ? null : line[(equals + 1)..].Trim();
            value = string.IsNullOrEmpty(value) ? null : value;
            switch (equals < 0 ? line : line[..equals])
            {
                case "version":
                    version = WithoutSourceRevision(value);
                    break;
                case "key":
                    key = value;
                    break;
                case "endpoint":
                    endpoint = value;
                    break;
                default:
                    throw new FormatException($"'{line}' is not one of version=, key= or endpoint=");
            }
        }

        return new BuildFacts(version, key, endpoint);
    }

    /// <summary>"1.2.3+abc123" is "1.2.3": the source revision identifies a build, not a version, and says more than users need.</summary>
    public static string? WithoutSourceRevision(string? version)
    {
        var plus = version?.IndexOf('+', StringComparison.Ordinal) ?? -1;
        return plus < 0 ? version : version![..plus];
    }
}
