using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Candor.Protocol;

namespace Candor.Collector.Tests.Retention;

public class DeletionEndpointsTests
{
    [Fact]
    public async Task Delete_KeyInstallAndItsProof_RemovesThatInstallsEventsAndSaysHowMany()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        await collector.PostBatchAsync(key, [Some.Install(alice), Some.Crash("System.Exception at Sample.Cli.Fail", alice), Some.Install(alice, Some.Now.AddDays(-40)), Some.Install()]);

        var response = await DeleteAsync(collector, key, Body(alice, Some.ProofOf(alice)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.DeleteInstallResponse))!.Deleted);
        Assert.Equal(1, await collector.Store.CountRawEventsAsync("sample", default));
        Assert.Null(await collector.Store.GetInstallVerifierAsync("sample", alice, default));
    }

    [Fact]
    public async Task Delete_WrongMissingOrAnotherInstallsProof_DeletesNothing()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        await collector.PostBatchAsync(key, [Some.Install(alice), Some.Install(bob)]);

        var wrong = await DeleteAsync(collector, key, Body(alice, new string('0', 64)));
        var bobs = await DeleteAsync(collector, key, Body(alice, Some.ProofOf(bob)));
        var verifierItself = await DeleteAsync(collector, key, Body(alice, Some.VerifierOf(alice)));
        var missing = await DeleteAsync(collector, key, $$"""{"install":"{{alice}}"}""");
        var upperCase = await DeleteAsync(collector, key, Body(alice, Some.ProofOf(alice).ToUpperInvariant()));

        Assert.Equal(
            [HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest],
            new[] { wrong, bobs, verifierItself, missing, upperCase }.Select(r => r.StatusCode));
        Assert.Equal(RejectionReasons.ProofMismatch, (await wrong.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ProblemResponse))!.Reason);
        Assert.Contains("proof", (await missing.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ProblemResponse))!.Detail);
        Assert.Equal(2, await collector.Store.CountRawEventsAsync("sample", default));
    }

    [Fact]
    public async Task Delete_UnknownInstallOrOneAlreadyDeleted_GetsTheSameAnswerAsAWrongProof()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        await collector.PostBatchAsync(key, [Some.Install(alice)]);
        var stranger = Guid.NewGuid();

        var wrong = await DeleteAsync(collector, key, Body(alice, new string('0', 64)));
        var unknown = await DeleteAsync(collector, key, Body(stranger, Some.ProofOf(stranger)));
        await DeleteAsync(collector, key, Body(alice, Some.ProofOf(alice)));
        var again = await DeleteAsync(collector, key, Body(alice, Some.ProofOf(alice)));

        Assert.All(new[] { wrong, unknown, again }, r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        var bodies = await Task.WhenAll(new[] { wrong, unknown, again }.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
    }

    [Fact]
    public async Task Delete_InstallStoredWithoutAVerifier_TakesTheFirstOneItsOwnerSends()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        var old = Some.Install(alice);
        old.Verifier = null;
        await collector.PostBatchAsync(key, [old]);
        var refused = await DeleteAsync(collector, key, Body(alice, Some.ProofOf(alice)));

        await collector.PostBatchAsync(key, [Some.Install(alice)]);
        var later = Some.Install(alice);
        later.Verifier = Some.VerifierOf(Guid.NewGuid());
        await collector.PostBatchAsync(key, [later]);
        var deleted = await DeleteAsync(collector, key, Body(alice, Some.ProofOf(alice)));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(3, (await deleted.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.DeleteInstallResponse))!.Deleted);
    }

    [Fact]
    public async Task AdminDelete_InstallWithoutAVerifier_DeletesIt_AndIsAuditedUnderTheAdminsName()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        var old = Some.Install(alice);
        old.Verifier = null;
        await collector.PostBatchAsync(key, [old, Some.Install()]);

        var response = await collector.Admin.DeleteAsync($"/admin/products/sample/installs/{alice}");
        var reader = await collector.Client().DeleteAsync($"/admin/products/sample/installs/{alice}");
        var unknownProduct = await collector.Admin.DeleteAsync($"/admin/products/nope/installs/{alice}");

        Assert.Equal(1, (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.DeleteInstallResponse))!.Deleted);
        Assert.Equal(HttpStatusCode.Unauthorized, reader.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownProduct.StatusCode);
        Assert.Equal(1, await collector.Store.CountRawEventsAsync("sample", default));
        var audit = await collector.Admin.GetStringAsync("/admin/audit");
        Assert.Contains("by an administrator", audit);
        Assert.DoesNotContain(alice.ToString(), audit);
    }

    [Fact]
    public async Task Delete_IsAudited_WithoutTheInstallId()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync();
        var alice = Guid.NewGuid();
        await collector.PostBatchAsync(key, [Some.Install(alice)]);

        await DeleteAsync(collector, key, Body(alice, Some.ProofOf(alice)));

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

        var response = await DeleteAsync(collector, otherKey, Body(alice, Some.ProofOf(alice)));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
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

    private static string Body(Guid install, string proof) => $$"""{"install":"{{install}}","proof":"{{proof}}"}""";

    private static Task<HttpResponseMessage> DeleteAsync(TestCollector collector, string? key, string body, string mediaType = "application/json") =>
        collector.PostRawAsync(key, Encoding.UTF8.GetBytes(body), gzip: false, mediaType, path: ProtocolConstants.DeletePath);
}
