using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Candor.Collector.Dashboard;
using Candor.Collector.Products;
using Candor.Collector.Tests;
using Candor.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Dashboard.Tests;

public sealed class ProductViewsTests
{
    [Fact]
    public async Task GetAsync_WithinFreshFor_WithoutNewEvents_ReusesThePage()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        await Send(collector, key, 2);
        var (views, product, filter) = Parts(collector);

        var first = await views.GetAsync(product(), filter, default);
        var second = await views.GetAsync(product(), filter, default);

        Assert.Same(first, second);
        Assert.Equal(views.DataVersion(Acme.Product), first.DataVersion);
    }

    [Fact]
    public async Task GetAsync_AfterNewEventsWereStored_ComputesThePageAgainAtOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        await Send(collector, key, 2);
        var (views, product, filter) = Parts(collector);
        var reader = collector.Client(await collector.CreateReaderAsync());
        var first = await views.GetAsync(product(), filter, default);

        // Within FreshFor (the clock does not move): the kept page is out of date all the same.
        await Send(collector, key, 3);
        var second = await views.GetAsync(product(), filter, default);
        var api = await reader.GetFromJsonAsync<JsonObject>("/query/acme/events?interval=total");

        Assert.NotEqual(first.DataVersion, second.DataVersion);
        Assert.Equal(views.DataVersion(Acme.Product), second.DataVersion);
        Assert.Equal((api!["rows"]![0]!["events"]!.GetValue<long>(), api["rows"]![0]!["installs"]!.GetValue<long>()), (second.Events, second.Installs));

        // A batch of duplicates stores nothing and leaves the page as it is.
        var events = Enumerable.Range(0, 2).Select(_ => Acme.Event("command", Guid.NewGuid(), Some.Now.AddHours(-1))).ToArray();
        Assert.Equal(2, (await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events))).Accepted);
        var third = await views.GetAsync(product(), filter, default);
        Assert.Equal(0, (await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events))).Accepted);
        Assert.Same(third, await views.GetAsync(product(), filter, default));
    }

    [Fact]
    public async Task GetAsync_AfterFreshFor_ShowsTheOldPageAtOnceAndTheNewOneNext()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        await Send(collector, key, 2);
        var (views, product, filter) = Parts(collector);
        var first = await views.GetAsync(product(), filter, default);

        collector.Clock.Advance(TimeSpan.FromMinutes(2));
        var stale = await views.GetAsync(product(), filter, default);

        Assert.Same(first, stale);
        await TestCollector.EventuallyAsync(async () => !ReferenceEquals(await views.GetAsync(product(), filter, default), first), "the refreshed page");
        var api = await collector.Client(await collector.CreateReaderAsync()).GetFromJsonAsync<JsonObject>("/query/acme/events?interval=total");
        var refreshed = await views.GetAsync(product(), filter, default);
        Assert.Equal((api!["rows"]![0]!["events"]!.GetValue<long>(), api["rows"]![0]!["installs"]!.GetValue<long>()), (refreshed.Events, refreshed.Installs));
    }

    [Fact]
    public async Task GetAsync_ProductWithoutData_IsNeverKept_SoTheFirstEventShowsAtOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        var (views, product, filter) = Parts(collector);

        var empty = await views.GetAsync(product(), filter, default);
        await Send(collector, key, 1);
        await TestCollector.EventuallyAsync(async () => (await views.GetAsync(product(), filter, default)).HasAnyData, "the page without data to be dropped");

        Assert.False(empty.HasAnyData);
    }

    [Fact]
    public async Task GetAsync_AfterKChanged_HidesAtOnce()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        await Send(collector, key, 2);
        var (views, product, filter) = Parts(collector);
        // Two installs are shown under k = 1 (with noise on the count) and never under k = 5.
        Assert.NotNull((await views.GetAsync(product(), filter, default)).Events);

        var patched = await collector.Admin.PatchAsync("/admin/products/acme", TestCollector.JsonContent("""{"kThreshold": 5}"""));
        patched.EnsureSuccessStatusCode();

        Assert.Null((await views.GetAsync(product(), filter, default)).Events);
    }

    [Fact]
    public async Task GetAsync_AfterAnInstallAskedForDeletion_NoLongerCountsIt()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        var leaving = Guid.NewGuid();
        await Send(collector, key, 12);
        Assert.Equal(1, (await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, [Acme.Event("command", leaving, Some.Now.AddHours(-1))]))).Accepted);
        var (views, product, filter) = Parts(collector);
        var reader = collector.Client(await collector.CreateReaderAsync());
        var before = await views.GetAsync(product(), filter, default);
        var apiBefore = await reader.GetFromJsonAsync<JsonObject>("/query/acme/events?interval=total");

        var deleted = await collector.PostRawAsync(key, Encoding.UTF8.GetBytes($$"""{"install": "{{leaving}}", "proof": "{{Some.ProofOf(leaving)}}"}"""), gzip: false, "application/json", path: ProtocolConstants.DeletePath);
        deleted.EnsureSuccessStatusCode();
        var after = await views.GetAsync(product(), filter, default);
        Assert.NotEqual(before.DataVersion, after.DataVersion);
        var apiAfter = await reader.GetFromJsonAsync<JsonObject>("/query/acme/events?interval=total");

        // The page shows what the query API answers at each moment: 13 installs before, 12 after (each with the
        // noise of its own set of installs).
        Assert.Equal((apiBefore!["rows"]![0]!["events"]!.GetValue<long>(), apiBefore["rows"]![0]!["installs"]!.GetValue<long>()), (before.Events, before.Installs));
        Assert.Equal((apiAfter!["rows"]![0]!["events"]!.GetValue<long>(), apiAfter["rows"]![0]!["installs"]!.GetValue<long>()), (after.Events, after.Installs));
        Assert.InRange(after.Installs!.Value, 12 - 12, 12 + 12);
    }

    private static (ProductViews Views, Func<CatalogProduct> Product, DashboardFilter Filter) Parts(TestCollector collector)
    {
        var catalog = collector.Services.GetRequiredService<ProductCatalog>();
        return (
            collector.Services.GetRequiredService<ProductViews>(),
            () => catalog.Find(Acme.Product)!,
            DashboardFilter.Default(DateOnly.FromDateTime(Some.Now.UtcDateTime)));
    }

    private static async Task Send(TestCollector collector, string key, int count)
    {
        var events = Enumerable.Range(0, count).Select(_ => Acme.Event("command", Guid.NewGuid(), Some.Now.AddHours(-1))).ToArray();
        Assert.Equal(count, (await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events))).Accepted);
    }
}
