using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// The collector as users run it: <c>dotnet Candor.Collector.dll</c> in its own process (the Release build
/// that sits beside this program), on 127.0.0.1 with a free port and the given data folder.
/// </summary>
internal sealed partial class CollectorProcess : IAsyncDisposable
{
    public const string AdminToken = "bench-admin-token-0123456789-abcdefghijklmnopqrstuvwxyz";

    private readonly Process _process;

    private CollectorProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    /// <summary>
    /// The settings a load benchmark starts the collector with: the per-key and per-address rate limits lifted
    /// (ingestion is bounded by the store, not by the limits a leaked key is kept in by), then each <c>--set Name=Value</c>.
    /// </summary>
    public static Dictionary<string, string> LoadSettings(Arguments args)
    {
        var settings = new Dictionary<string, string>
        {
            ["Ingestion:PermitsPerKey"] = "100000000",
            ["Ingestion:PermitsPerAddress"] = "100000000",
        };
        foreach (var setting in args.All("set"))
        {
            var (name, value) = setting.Split('=', 2) is [var n, var v] ? (n, v) : throw new ArgumentException($"--set takes Name=Value, not '{setting}'");
            settings[name] = value;
            Console.WriteLine($"  collector setting {name} = {value}");
        }

        return settings;
    }

    /// <summary>Starts the collector and returns once it listens; <paramref name="settings"/> are passed as <c>--Key value</c>.</summary>
    public static async Task<CollectorProcess> StartAsync(string dataPath, IReadOnlyDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dataPath,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Candor.Collector.dll"));
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Storage:DataPath"] = dataPath,
            ["Access:AdminToken"] = AdminToken,
        };
        foreach (var (key, value) in settings)
        {
            arguments[key] = value;
        }

        foreach (var (key, value) in arguments)
        {
            start.ArgumentList.Add("--" + key);
            start.ArgumentList.Add(value);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the collector");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, line) =>
        {
            lock (errors)
            {
                errors.AppendLine(line.Data);
            }
        };
        process.BeginErrorReadLine();
        Uri? address = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (ListeningPattern().Match(line) is { Success: true } listening)
            {
                address = new Uri(listening.Groups[1].Value);
                break;
            }
        }

        // Keep draining standard output so the collector never blocks on a full pipe.
        _ = Task.Run(async () =>
        {
            var buffer = new char[16 * 1024];
            while (await process.StandardOutput.ReadAsync(buffer) > 0)
            {
            }
        });
        if (address is null)
        {
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"the collector did not start: {errors}");
        }

        return new CollectorProcess(process, address);
    }

    public HttpClient Client(int connections = 1)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    /// <summary>Registers the workload's product and returns a new ingestion key for it.</summary>
    public async Task<string> RegisterAsync(string manifest = Workload.ManifestJson)
    {
        using var admin = Client();
        var registered = await admin.PostAsJsonAsync("/admin/products", new JsonObject { ["manifest"] = JsonNode.Parse(manifest) });
        if (!registered.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"registering the product failed: {(int)registered.StatusCode} {await registered.Content.ReadAsStringAsync()}");
        }

        var key = await admin.PostAsJsonAsync($"/admin/products/{Workload.Product}/keys", new { name = "bench" });
        return (await key.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
    }

    /// <summary>CPU time the collector process used so far (user and system), from /proc.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>The collector's resident memory in MB (VmRSS from /proc), or 0 where /proc is not there.</summary>
    public double ResidentMegabytes()
    {
        var status = $"/proc/{_process.Id}/status";
        if (!File.Exists(status))
        {
            return 0;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>Asks the collector to stop (SIGTERM, as a service manager does) and waits until it has.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _process.WaitForExitAsync(timeout.Token);
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
}
