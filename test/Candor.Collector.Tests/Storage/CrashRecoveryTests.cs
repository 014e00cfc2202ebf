using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Candor.Protocol;

namespace Candor.Collector.Tests.Storage;

public partial class CrashRecoveryTests
{
    [Fact]
    public async Task KillDuringIngestion_ThenRestart_KeepsEveryAcknowledgedEventOnce()
    {
        var root = Directory.CreateTempSubdirectory("candor-kill-").FullName;
        try
        {
            string key, admin;
            var acknowledged = new ConcurrentBag<WireEvent[]>();
            await using (var first = await CollectorProcess.StartAsync(root))
            {
                admin = first.AdminToken!;
                key = await first.SetUpAsync();

                // Four clients post batches of 50 until the process is gone; kill -9 lands once 30 were acknowledged.
                using var killed = new CancellationTokenSource();
                var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
                {
                    using var http = new HttpClient { BaseAddress = first.BaseAddress };
                    while (!killed.IsCancellationRequested)
                    {
                        var batch = Enumerable.Range(0, 50).Select(_ => Some.Install(time: DateTimeOffset.UtcNow.AddMinutes(-1))).ToArray();
                        try
                        {
                            var response = await first.PostAsync(http, key, batch);
                            if (response.StatusCode == HttpStatusCode.OK)
                            {
                                acknowledged.Add(batch);
                            }
                        }
                        catch (HttpRequestException)
                        {
                            return;
                        }
                    }
                })).ToArray();

                while (acknowledged.Count < 30 && !clients.All(c => c.IsCompleted))
                {
                    await Task.WhenAny(Task.WhenAll(clients), Task.Delay(10));
                }

                first.Kill();
                killed.Cancel();
                await Task.WhenAll(clients);
            }

            Assert.True(acknowledged.Count >= 30);
            await using var second = await CollectorProcess.StartAsync(root);
            Assert.Null(second.AdminToken);
            using var reader = new HttpClient { BaseAddress = second.BaseAddress };
            reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            var today = DateTime.UtcNow;
            var raw = await reader.GetFromJsonAsync<JsonObject>($"/query/sample/raw?from={today.AddDays(-1):yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}&limit=100000");
            var stored = raw!["rows"]!.AsArray().Select(r => Guid.Parse(r!["id"]!.GetValue<string>())).ToList();

            Assert.Equal(stored.Count, stored.Distinct().Count());
            var missing = acknowledged.SelectMany(b => b).Select(e => e.Id).Except(stored).ToList();
            Assert.Empty(missing);

            // Resending what was acknowledged stores nothing twice.
            using var http = new HttpClient { BaseAddress = second.BaseAddress };
            var resent = await TestCollector.ReadBatchAsync(await second.PostAsync(http, key, acknowledged.First()));
            Assert.Equal((0, 50), (resent.Accepted, resent.Duplicates));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The collector as its own process (<c>dotnet Candor.Collector.dll</c>), so it can be killed for real.</summary>
    private sealed partial class CollectorProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private CollectorProcess(Process process, Uri baseAddress, string? adminToken)
        {
            _process = process;
            BaseAddress = baseAddress;
            AdminToken = adminToken;
        }

        public Uri BaseAddress { get; }

        public string? AdminToken { get; }

        public static async Task<CollectorProcess> StartAsync(string root)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Candor.Collector.dll");
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { dll, "--urls", "http://127.0.0.1:0", "--Storage:DataPath", Path.Combine(root, "data"), "--Logging:LogLevel:Default", "Warning" })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            Uri? address = null;
            string? token = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (ListeningPattern().Match(line) is { Success: true } listening)
                {
                    address = new Uri(listening.Groups[1].Value);
                }

                if (TokenPattern().Match(line) is { Success: true } admin)
                {
                    token = admin.Value;
                }

                if (line.StartsWith("Admin token", StringComparison.Ordinal))
                {
                    break;
                }
            }

            // Keep draining stdout so the child never blocks on a full pipe.
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            Assert.NotNull(address);
            return new CollectorProcess(process, address, token);
        }

        public async Task<string> SetUpAsync()
        {
            using var admin = new HttpClient { BaseAddress = BaseAddress };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
            var registered = await admin.PostAsJsonAsync("/admin/products", new { manifest = JsonNode.Parse(Some.ManifestJson) });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            var key = await admin.PostAsJsonAsync("/admin/products/sample/keys", new { name = "kill test" });
            return (await key.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
        }

        public async Task<HttpResponseMessage> PostAsync(HttpClient http, string key, WireEvent[] events)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolConstants.BatchPath)
            {
                Content = new ByteArrayContent(TestCollector.Gzip(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new WireBatch { Events = [.. events] }, ProtocolJsonContext.Default.WireBatch))),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Content.Headers.ContentEncoding.Add("gzip");
            request.Headers.Add(ProtocolConstants.KeyHeader, key);
            return await http.SendAsync(request);
        }

        /// <summary>SIGKILL: no shutdown, no flush, no checkpoint.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        [GeneratedRegex(@"listening on (http://[0-9.:]+)")]
        private static partial Regex ListeningPattern();

        [GeneratedRegex("candor_admin_[A-Za-z0-9_-]+")]
        private static partial Regex TokenPattern();
    }
}
