using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Candor.Collector.Tests.Interop;

/// <summary>A tool that sends usage through OpenTelemetry or Application Insights, its manifest with a mappings section, and checks on what was stored.</summary>
internal static class InteropTool
{
    /// <summary>Put in every undeclared attribute, every body and every exception message: it must never reach the data folder.</summary>
    public const string Canary = "canary-7f3a9c-jsmith-C:\\Users\\jsmith\\secret.txt";

    public const string ManifestJson = """
    {
      "product": "clitool",
      "revision": 1,
      "disclosure": { "text": "clitool collects usage data. Opt out with CLITOOL_TELEMETRY_OPTOUT." },
      "namespaces": ["CliTool"],
      "events": [
        {
          "name": "command",
          "description": "A command ran.",
          "purpose": "Know which commands are used.",
          "properties": [
            { "name": "command", "kind": "enum", "values": ["build", "test", "run"], "description": "The command." },
            { "name": "ok", "kind": "bool", "description": "Whether it succeeded." },
            { "name": "size", "kind": "bucket", "boundaries": [1000, 100000], "unit": "bytes", "description": "The input size." }
          ],
          "measurements": [
            { "name": "durationMs", "kind": "duration", "description": "How long it ran." },
            { "name": "exitCode", "kind": "number", "unit": "code", "minimum": -1000, "maximum": 1000, "description": "The exit code." }
          ]
        },
        {
          "name": "crash",
          "description": "The tool crashed.",
          "purpose": "Fix crashes.",
          "level": "error",
          "properties": [ { "name": "stack", "kind": "stack", "description": "Exception types and the tool's own frames." } ]
        }
      ],
      "mappings": {
        "otlp": {
          "install": "candor.install",
          "logs": [ { "name": "CommandRun", "event": "command", "fields": { "Command": "command", "ExitCode": "exitCode", "InputBytes": "size" } } ],
          "spans": [ { "name": "cli.command", "event": "command", "fields": { "cli.command": "command" }, "duration": "durationMs", "success": "ok" } ]
        },
        "applicationInsights": {
          "install": "ai.user.id",
          "events": [ { "name": "CommandRun", "event": "command", "fields": { "command": "command", "exitCode": "exitCode", "inputBytes": "size" } } ],
          "requests": [ { "name": "cli.command", "event": "command", "fields": { "cli.command": "command" }, "duration": "durationMs", "success": "ok" } ],
          "dependencies": [ { "name": "cli.command", "event": "command", "fields": { "cli.command": "command" }, "duration": "durationMs", "success": "ok" } ],
          "exceptions": [ { "event": "crash", "stack": "stack" } ]
        }
      }
    }
    """;

    /// <summary>The raw rows stored for the tool (an administrator's export), each as an object.</summary>
    public static async Task<List<JsonObject>> RawAsync(TestCollector collector)
    {
        var today = DateTimeOffset.UtcNow;
        var raw = await collector.Admin.GetFromJsonAsync<JsonObject>($"/query/clitool/raw?from={today.AddDays(-2):yyyy-MM-dd}&to={today.AddDays(2):yyyy-MM-dd}");
        return [.. raw!["rows"]!.AsArray().Select(r => r!.AsObject())];
    }

    /// <summary>Fails when <see cref="Canary"/> is anywhere in the data folder's bytes (database, WAL, anything else).</summary>
    public static void AssertNoCanary(TestCollector collector)
    {
        var files = Directory.GetFiles(collector.DataPath, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var needle in new[] { "canary-7f3a9c", "jsmith" })
        {
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) < 0, $"{Path.GetFileName(file)} holds '{needle}'");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(needle)) < 0, $"{Path.GetFileName(file)} holds '{needle}' (UTF-16)");
            }
        }
    }

    /// <summary>A collector whose clock is the real one: the clients stamp items with the real time.</summary>
    public static async Task<(TestCollector Collector, string Key)> StartAsync(string manifest = ManifestJson, IDictionary<string, string?>? settings = null)
    {
        var collector = await TestCollector.StartAsync(settings);
        collector.Clock.SetUtcNow(DateTimeOffset.UtcNow);
        return (collector, await collector.RegisterAsync(manifest));
    }
}
