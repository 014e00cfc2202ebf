using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Candor.Protocol;

namespace Candor.Collector.Tests.Retention;

public class DeletionEndpointsTests
{
    [Fact]
    public async Task Delete_KeyAndInstall_RemovesThatInstallsEventsAndSaysHowMany()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        await collector.PostBatchAsync(key, [Some.Install(alice), Some.Crash("E at Sample.F", alice), Some.Install(alice, Some.Now.AddDays(-40)), Some.Install()]);

        var first = await DeleteAsync(collector, key, $$"""{"install":"{{alice}}"}""");
        var second = await DeleteAsync(collector, key, $$"""{"install":"{{alice}}"}""");

        Assert.Equal(3, (await first.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.DeleteInstallResponse))!.Deleted);
        Assert.Equal(0, (await second.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.DeleteInstallResponse))!.Deleted);
        Assert.Equal(1, await collector.Store.CountRawEventsAsync("sample", default));
    }

    [Fact]
    public async Task Delete_IsAudited_WithoutTheInstallId()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        await collector.PostBatchAsync(key, [Some.Install(alice)]);

        await DeleteAsync(collector, key, $$"""{"install":"{{alice}}"}""");

        var audit = await collector.Admin.GetStringAsync("/admin/audit");
        Assert.Contains("install.delete", audit);
        Assert.DoesNotContain(alice.ToString(), audit);
        Assert.DoesNotContain(collector.Logs, l => l.Contains(alice.ToString()));
    }

    [Fact]
    public async Task Delete_KeyOfAnotherProduct_TouchesNothingOfThisOne()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var otherKey = await collector.RegisterAsync(Some.ManifestJson.Replace("\"product\": \"sample\"", "\"product\": \"other\""));
        var alice = Guid.NewGuid();
        await collector.PostBatchAsync(key, [Some.Install(alice)]);

        var response = await DeleteAsync(collector, otherKey, $$"""{"install":"{{alice}}"}""");

        Assert.Equal(0, (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.DeleteInstallResponse))!.Deleted);
        Assert.Equal(1, await collector.Store.CountRawEventsAsync("sample", default));
    }

    [Theory]
    [InlineData("candor_ingest_nope", "{\"install\":\"5f0c3c3e-0000-4000-8000-000000000001\"}", "application/json", HttpStatusCode.Unauthorized)]
    [InlineData(null, "{\"install\":\"5f0c3c3e-0000-4000-8000-000000000001\"}", "application/json", HttpStatusCode.Unauthorized)]
    [InlineData("", "{\"install\":\"not-a-uuid\"}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("", "{}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("", "{\"install\":", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("", "install=1", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    public async Task Delete_BadRequest_GetsAPrecise4xx(string? key, string body, string mediaType, HttpStatusCode expected)
    {
        await using var collector = await TestCollector.StartAsync();
        var realKey = await collector.RegisterAsync();

        var response = await DeleteAsync(collector, key == "" ? realKey : key, body, mediaType);

        Assert.Equal(expected, response.StatusCode);
    }

    private static Task<HttpResponseMessage> DeleteAsync(TestCollector collector, string? key, string body, string mediaType = "application/json") =>
        collector.PostRawAsync(key, Encoding.UTF8.GetBytes(body), gzip: false, mediaType, path: ProtocolConstants.DeletePath);
}
