using Candor.Collector.Access;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Query;
using Candor.Collector.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Operations;

/// <summary>
/// Brings the collector up before it listens: opens the store, loads the catalogue, the noise secret and credentials, reads the
/// country database and makes sure an admin token exists; once listening, says where.
/// </summary>
internal sealed class CollectorStartup(
    IEventStore store,
    ProductCatalog catalog,
    FigureNoise noise,
    CredentialService credentials,
    AdminBootstrap admin,
    CountryDatabase countries,
    IOptions<NetworkOptions> network,
    IOptions<StorageOptions> storage,
    CollectorConsole console,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<CollectorStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        await catalog.LoadAsync(cancellationToken);
        await noise.LoadAsync(cancellationToken);
        await credentials.LoadAsync(cancellationToken);
        await admin.RunAsync(cancellationToken);
        if (network.Value.CountryDatabase is { } path)
        {
            CollectorLog.CountryDatabaseLoaded(logger, Path.GetFullPath(path), countries.Count);
        }

        lifetime.ApplicationStarted.Register(() =>
            console.Announce(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [], storage.Value.Location));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
