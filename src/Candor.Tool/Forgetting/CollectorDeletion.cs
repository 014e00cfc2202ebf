using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Candor.Delivery;
using Candor.Protocol;

namespace Candor.Tool.Forgetting;

/// <summary>
/// Asks a product's collector to delete every event of one install (<see cref="ProtocolConstants.DeletePath"/>),
/// with the product's ingestion key, the install ID and the install's deletion proof, which only this machine can make
/// (see <see cref="Identity.InstallSecret"/>).
/// </summary>
internal sealed class CollectorDeletion
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Func<HttpMessageHandler>? _handler;

    /// <param name="handler">The HTTP handler; a <see cref="SocketsHttpHandler"/> that honours the proxy settings when null.</param>
    public CollectorDeletion(Func<HttpMessageHandler>? handler = null)
    {
        _handler = handler;
    }

    /// <summary>Sends one deletion request. Never throws for a network or collector failure: the result says what went wrong.</summary>
    public async Task<DeletionResult> DeleteAsync(string endpoint, string key, Guid install, string proof, CancellationToken cancellationToken)
    {
        Uri uri;
        try
        {
            var batch = DeliveryEndpoint.BatchUri(endpoint);
            uri = new UriBuilder(batch) { Path = batch.AbsolutePath[..^ProtocolConstants.BatchPath.Length] + ProtocolConstants.DeletePath }.Uri;
        }
        catch (ArgumentException ex)
        {
            return DeletionResult.Failed(ex.Message);
        }

        using var http = new HttpClient(_handler?.Invoke() ?? new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }, disposeHandler: true)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new DeleteInstallRequest { Install = install, Proof = proof }, ProtocolJsonContext.Default.DeleteInstallRequest)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ProtocolConstants.MediaType);
        request.Headers.Add(ProtocolConstants.KeyHeader, key);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK && TryRead(body, ProtocolJsonContext.Default.DeleteInstallResponse) is { } deleted)
            {
                return DeletionResult.Done(deleted.Deleted);
            }

            var problem = TryRead(body, ProtocolJsonContext.Default.ProblemResponse);
            if (response.StatusCode == HttpStatusCode.Forbidden && problem?.Reason == RejectionReasons.ProofMismatch)
            {
                // Final: the same proof gets the same answer however often it is sent.
                return DeletionResult.Unproven(
                    $"{Address(uri)} deleted nothing: it holds no events this install can prove (none arrived, they expired, or they were stored " +
                    $"before deletion proofs existed; for those, ask its administrator to delete install {install})");
            }

            return DeletionResult.Failed($"the collector answered {(int)response.StatusCode}{(problem is { Detail.Length: > 0 } ? ": " + problem.Detail : "")}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeletionResult.Failed($"the collector did not answer within {Timeout.TotalSeconds:0} seconds");
        }
        catch (HttpRequestException ex)
        {
            return DeletionResult.Failed($"the collector could not be reached ({ex.HttpRequestError})");
        }
    }

    private static string Address(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    private static T? TryRead<T>(byte[] body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What one deletion request did.</summary>
/// <param name="Deleted">How many events the collector deleted, when it answered.</param>
/// <param name="Problem">What went wrong and may go right on another try (nothing is erased locally then), or null.</param>
/// <param name="Note">
/// Why nothing could be deleted and no retry would change it (the collector holds nothing the proof covers, or no
/// proof is kept for the install), and what the user can do instead; or null.
/// </param>
internal sealed record DeletionResult(long? Deleted, string? Problem, string? Note = null)
{
    public static DeletionResult Done(long deleted) => new(deleted, null);

    public static DeletionResult Failed(string problem) => new(null, problem);

    public static DeletionResult Unproven(string note) => new(null, null, note);
}
