using Candor.Tool.Forgetting;

namespace Candor.CommandLine.Tests.Tool.Forgetting;

public sealed class CollectorDeletionTests
{
    private static readonly string Proof = new('a', 64);

    [Theory]
    [InlineData("http://collector.example.org", "must use https://")]
    [InlineData("https://user:pass@collector.example.org", "must not carry credentials")]
    [InlineData("not a url", "is not an absolute https:// URL")]
    public async Task Delete_EndpointThatEventsCouldNeverUse_FailsWithoutARequest(string endpoint, string problem)
    {
        var requests = 0;
        var deletion = new CollectorDeletion(() => new CountingHandler(() => requests++));

        var result = await deletion.DeleteAsync(endpoint, "key", Guid.NewGuid(), Proof, CancellationToken.None);

        Assert.Null(result.Deleted);
        Assert.Contains(problem, result.Problem, StringComparison.Ordinal);
        Assert.Equal(0, requests);
    }

    [Fact]
    public async Task Delete_SendsTheKeyInstallAndProofToTheDeletePathUnderTheEndpointsPrefix()
    {
        HttpRequestMessage? seen = null;
        string? body = null;
        var deletion = new CollectorDeletion(() => new CountingHandler(() => { }, request =>
        {
            seen = request;
            body = request.Content!.ReadAsStringAsync().GetAwaiter().GetResult();
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("""{"deleted":5}""") };
        }));
        var install = Guid.NewGuid();

        var result = await deletion.DeleteAsync("https://telemetry.example.org/candor/", "the-key", install, Proof, CancellationToken.None);

        Assert.Equal(5, result.Deleted);
        Assert.Equal("https://telemetry.example.org/candor/v1/installs/delete", seen!.RequestUri!.ToString());
        Assert.Equal("the-key", seen.Headers.GetValues("X-Candor-Key").Single());
        Assert.Equal($$"""{"install":"{{install}}","proof":"{{Proof}}"}""", body);
    }

    [Fact]
    public async Task Delete_ProofRefused_IsANoteNamingTheInstall_NotAProblemToRetry()
    {
        var deletion = new CollectorDeletion(() => new CountingHandler(() => { }, _ =>
            new HttpResponseMessage(System.Net.HttpStatusCode.Forbidden) { Content = new StringContent("""{"reason":"proof-mismatch","detail":"nothing was deleted"}""") }));
        var install = Guid.NewGuid();

        var result = await deletion.DeleteAsync("https://telemetry.example.org", "key", install, Proof, CancellationToken.None);

        Assert.Null(result.Problem);
        Assert.Null(result.Deleted);
        Assert.Contains($"ask its administrator to delete install {install}", result.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_Refused_SaysTheStatusAndTheCollectorsReason()
    {
        var deletion = new CollectorDeletion(() => new CountingHandler(() => { }, _ =>
            new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized) { Content = new StringContent("""{"reason":"unknown-key","detail":"The ingestion key is not known."}""") }));

        var result = await deletion.DeleteAsync("https://telemetry.example.org", "old-key", Guid.NewGuid(), Proof, CancellationToken.None);

        Assert.Equal("the collector answered 401: The ingestion key is not known.", result.Problem);
    }

    private sealed class CountingHandler(Action count, Func<HttpRequestMessage, HttpResponseMessage>? answer = null) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            count();
            return Task.FromResult(answer?.Invoke(request) ?? new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError));
        }
    }
}
