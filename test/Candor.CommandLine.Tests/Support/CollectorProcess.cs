using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Candor.CommandLine.Tests.Support;

/// <summary>The real collector as a process on 127.0.0.1 (a free port), with its data in the test's folder.</summary>
internal sealed class CollectorProcess : IAsyncDisposable
{
    private const string AdminToken = "test-admin-token-0123456789-abcdefghijklmnop";

    private readonly Process _process;
    private readonly HttpClient _admin;

    private CollectorProcess(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
        _admin = new HttpClient { BaseAddress = endpoint };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public Uri Endpoint { get; }

    public static async Task<CollectorProcess> StartAsync(string dataFolder)
    {
        var process = Programs.Start(Programs.Collector, home: null, environment: null,
            ["--urls", "http://127.0.0.1:0", "--Storage:DataPath", dataFolder, "--Access:AdminToken", AdminToken, "--Logging:LogLevel:Default", "Warning"]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        const string Listening = "Candor collector listening on ";
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.StartsWith(Listening, StringComparison.Ordinal))
            {
                // Keep reading so a full pipe never blocks the collector.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return new CollectorProcess(process, new Uri(line[Listening.Length..].Trim()));
            }
        }

        throw new InvalidOperationException("the collector exited before it listened: " + await process.StandardError.ReadToEndAsync(deadline.Token));
    }

    /// <summary>Registers a manifest and returns a new ingestion key for its product.</summary>
    public async Task<string> RegisterAsync(string manifestJson, string product)
    {
        var registered = await _admin.PostAsJsonAsync("/admin/products", new JsonObject { ["manifest"] = JsonNode.Parse(manifestJson), ["kThreshold"] = 1 });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        var key = await _admin.PostAsJsonAsync($"/admin/products/{product}/keys", new { name = "tests" });
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        return (await key.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
