using System.Collections.Concurrent;
using System.Data.Common;
using Candor.Manifest;

namespace Candor.Collector.Storage;

/// <summary>
/// The registered manifest revisions that raw reads decode stored events with, parsed once and kept: a revision
/// never changes once registered.
/// </summary>
internal sealed class ManifestCache(SqlDialect dialect)
{
    private readonly ConcurrentDictionary<(string, int), TelemetryManifest> _manifests = new();

    /// <summary>The definition of a stored event in the revision it was stored with.</summary>
    /// <exception cref="InvalidOperationException">The revision does not define the event (the store is inconsistent).</exception>
    public async Task<EventDefinition> FindAsync(DbConnection connection, string product, int revision, string name, CancellationToken cancellationToken)
    {
        if (!_manifests.TryGetValue((product, revision), out var manifest))
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT json FROM manifests WHERE product = (SELECT id FROM products WHERE name = {dialect.P("product")}) AND revision = {dialect.P("revision")}";
            dialect.Bind(cmd, "product", product);
            dialect.Bind(cmd, "revision", revision);
            manifest = TelemetryManifest.ParseRegistered((string)(await cmd.ExecuteScalarAsync(cancellationToken))!);
            _manifests[(product, revision)] = manifest;
        }

        return manifest.Find(name) ?? throw new InvalidOperationException($"stored event '{name}' is not in revision {revision} of '{product}'");
    }
}
