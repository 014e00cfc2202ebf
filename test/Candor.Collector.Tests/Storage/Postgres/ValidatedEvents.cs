using System.Collections.Immutable;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;
using Candor.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Collector.Tests.Storage.Postgres;

/// <summary>Products of the sample manifest under other names, and events checked against them as ingestion checks them.</summary>
internal static class ValidatedEvents
{
    public static CatalogProduct Product(string name) => new(
        new ProductRecord(name, 14, 5, Some.Now),
        ImmutableSortedDictionary<int, TelemetryManifest>.Empty.Add(1, TelemetryManifest.Parse(ManifestOf(name))));

    public static string ManifestOf(string product) =>
        Some.ManifestJson.Replace($"\"product\": \"{Some.Product}\"", $"\"product\": \"{product}\"", StringComparison.Ordinal);

    /// <summary><paramref name="wire"/> as <paramref name="product"/>'s, validated; the test fails if it is refused.</summary>
    public static IncomingEvent Incoming(WireEvent wire, CatalogProduct product)
    {
        wire.Product = product.Record.Name;
        var (incoming, refusal) = new EventValidator(new FakeTimeProvider(Some.Now)).Validate(wire, product, "", TimeSpan.FromDays(1));
        Assert.Null(refusal);
        return incoming!;
    }
}
