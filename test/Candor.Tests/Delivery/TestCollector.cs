using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Candor.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Candor.Tests.Delivery;

/// <summary>
/// A small real HTTP server on 127.0.0.1 (port 0) that plays the collector: it checks the key, reads the
/// gzip body, de-duplicates by event ID and answers with a <see cref="BatchResponse"/>. Tests replace the
/// answer with <see cref="Respond"/> to play a broken or slow collector.
/// </summary>
internal sealed class TestCollector : IAsyncDisposable
{
    public const string Key = "test-key-123";

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<CollectedRequest> _firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestCollector(WebApplication app)
    {
        _app = app;
    }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>How many times each event ID arrived, whatever the answer was.</summary>
    public ConcurrentDictionary<Guid, int> Received { get; } = new();

    /// <summary>The events stored, once each, with their product.</summary>
    public ConcurrentDictionary<Guid, string> Stored { get; } = new();

    public ConcurrentQueue<CollectedRequest> Requests { get; } = new();

    /// <summary>Replaces the default answer; may call <see cref="AcknowledgeAsync"/>.</summary>
    public Func<CollectedRequest, HttpContext, Task>? Respond { get; set; }

    /// <summary>For the default answer: the reason to refuse an item, or null to accept it.</summary>
    public Func<JsonElement, string?>? Reject { get; set; }

    /// <summary>Completes when the first request has been read in full.</summary>
    public Task<CollectedRequest> FirstRequest => _firstRequest.Task;

    public static async Task<TestCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new TestCollector(app);
        app.MapPost(ProtocolConstants.BatchPath, collector.HandleAsync);
        await app.StartAsync();
        collector.Endpoint = new Uri(app.Urls.Single());
        return collector;
    }

    /// <summary>Waits until the request is aborted or the server stops: a collector that never answers.</summary>
    public async Task HangAsync(HttpContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, linked.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The default answer: stores new IDs, counts duplicates, refuses what <see cref="Reject"/> says.</summary>
    public async Task AcknowledgeAsync(CollectedRequest request, HttpContext context, int status = StatusCodes.Status200OK)
    {
        var response = new BatchResponse();
        for (var i = 0; i < request.Events.Count; i++)
        {
            var item = request.Events[i];
            if (Reject?.Invoke(item) is { } reason)
            {
                response.Rejected.Add(new ItemRejection { Index = i, Id = request.Ids[i], Reason = reason, Detail = $"item {i} refused" });
            }
            else if (Stored.TryAdd(request.Ids[i], item.GetProperty("product").GetString()!))
            {
                response.Accepted++;
            }
            else
            {
                response.Duplicates++;
            }
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJsonContext.Default.BatchResponse));
    }

    public static async Task WriteAsync(HttpContext context, int status, string body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(deadline.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var raw = new MemoryStream();
        await context.Request.Body.CopyToAsync(raw);
        var gzip = context.Request.Headers.ContentEncoding.ToString() == "gzip";
        var body = gzip ? Gunzip(raw.ToArray()) : raw.ToArray();

        var events = new List<JsonElement>();
        var ids = new List<Guid>();
        using (var document = JsonDocument.Parse(body))
        {
            foreach (var item in document.RootElement.GetProperty("events").EnumerateArray())
            {
                events.Add(item.Clone());
                var id = item.GetProperty("id").GetGuid();
                ids.Add(id);
                Received.AddOrUpdate(id, 1, (_, n) => n + 1);
            }
        }

        var request = new CollectedRequest(
            context.Request.Headers[ProtocolConstants.KeyHeader].ToString(),
            context.Request.ContentType,
            context.Request.Headers.ContentEncoding.ToString(),
            raw.Length,
            body,
            events,
            ids);
        Requests.Enqueue(request);
        _firstRequest.TrySetResult(request);

        if (Respond is { } respond)
        {
            await respond(request, context);
            return;
        }

        if (request.Key != Key)
        {
            await WriteAsync(context, StatusCodes.Status401Unauthorized, """{"reason":"unknown-key","detail":"The key is not known."}""");
            return;
        }

        await AcknowledgeAsync(request, context);
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}

/// <summary>One batch as the test collector read it.</summary>
internal sealed record CollectedRequest(
    string Key,
    string? ContentType,
    string ContentEncoding,
    long WireBytes,
    byte[] Body,
    IReadOnlyList<JsonElement> Events,
    IReadOnlyList<Guid> Ids);
