using System.Text.Json;
using Candor.Collector.Tests;
using Candor.Protocol;

namespace Candor.Dashboard.Tests;

/// <summary>
/// A package-manager CLI like the seeds' kmpkg: commands with feature flags and packages, command failures,
/// crashes and durations, sent by installs spread over versions, OS families, CI and containers.
/// </summary>
internal static class Acme
{
    public const string Product = "acme";

    public const string ManifestJson = """
    {
      "product": "acme",
      "name": "Acme CLI",
      "revision": 1,
      "disclosure": { "text": "acme collects usage data. Opt out with ACME_TELEMETRY_OPTOUT=1." },
      "namespaces": ["Acme.Cli"],
      "events": [
        {
          "name": "command",
          "description": "A command finished.",
          "purpose": "Prioritize feature development.",
          "properties": [
            { "name": "command", "kind": "enum", "values": ["install", "build", "search", "update", "remove"], "description": "The command that ran." },
            { "name": "features", "kind": "list", "maxItems": 4, "description": "The feature flags that were on.",
              "item": { "kind": "enum", "values": ["binarycaching", "manifests", "registries", "versions"], "description": "A feature flag." } },
            { "name": "packages", "kind": "list", "maxItems": 3, "description": "The packages the command worked on.",
              "item": { "kind": "nameOrHash", "allow": ["zlib", "openssl", "fmt", "boost", "curl"], "description": "A package name." } }
          ],
          "measurements": [
            { "name": "duration", "kind": "duration", "description": "How long the command took." }
          ]
        },
        {
          "name": "command-failed",
          "description": "A command failed.",
          "purpose": "Find failing commands and packages.",
          "level": "error",
          "properties": [
            { "name": "command", "kind": "enum", "values": ["install", "build", "search", "update", "remove"], "description": "The command that failed." },
            { "name": "packages", "kind": "list", "maxItems": 3, "description": "The packages the command worked on.",
              "item": { "kind": "nameOrHash", "allow": ["zlib", "openssl", "fmt", "boost", "curl"], "description": "A package name." } }
          ]
        },
        {
          "name": "crash",
          "description": "The tool crashed.",
          "purpose": "Fix crashes.",
          "level": "error",
          "properties": [
            { "name": "stack", "kind": "stack", "description": "Exception types and the tool's own frames." }
          ]
        }
      ]
    }
    """;

    private static readonly string[] Commands = ["install", "build", "search", "update", "remove"];
    private static readonly string[] Features = ["binarycaching", "manifests", "registries", "versions"];
    private static readonly string[] Packages = ["zlib", "openssl", "fmt", "boost", "curl"];
    private static readonly (string Version, int Weight)[] Versions = [("1.4.0", 5), ("1.3.0", 3), ("1.2.0", 1)];
    private static readonly string[] Stacks =
    [
        "System.IO.IOException at Acme.Cli.Download.Fetch | Acme.Cli.Install.Run",
        "System.InvalidOperationException at Acme.Cli.Manifest.Load",
        "System.UnauthorizedAccessException at Acme.Cli.Cache.Write | Acme.Cli.Build.Run",
    ];

    /// <summary>
    /// Events from <paramref name="installs"/> installs over the 30 days up to <see cref="Some.Now"/>, the same
    /// every time (a fixed seed), so screenshots and expected figures do not move.
    /// </summary>
    public static List<WireEvent> Events(int installs = 60, int seed = 7)
    {
        var random = new Random(seed);
        var events = new List<WireEvent>();
        for (var i = 0; i < installs; i++)
        {
            var install = new Guid(random.Next(1, int.MaxValue), 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)i);
            var version = Pick(random, Versions);
            var os = (i % 10) switch { < 5 => "linux", < 8 => "windows", _ => "macos" };
            var ci = i % 4 == 0 ? (i % 8 == 0 ? "github-actions" : "azure-pipelines") : null;
            var container = i % 5 == 0;
            for (var day = 29; day >= 0; day--)
            {
                if (random.NextDouble() > 0.45)
                {
                    continue;
                }

                var runs = random.Next(1, 6);
                for (var run = 0; run < runs; run++)
                {
                    var time = Some.Now.Date.AddDays(-day).AddMinutes(random.Next(0, day == 0 ? 11 * 60 : 24 * 60));
                    var command = Commands[Math.Min(Commands.Length - 1, (int)(random.NextDouble() * random.NextDouble() * Commands.Length * 1.6))];
                    var packages = Packages.Where(_ => random.NextDouble() < 0.35).Take(3).ToArray();
                    var failed = random.NextDouble() < (packages.Contains("boost") ? 0.3 : 0.06) * (version == "1.2.0" ? 2 : 1);
                    var e = Event(failed ? "command-failed" : "command", install, time, version, os, ci, container);
                    e.Properties = new Dictionary<string, JsonElement>
                    {
                        ["command"] = Some.Json(command),
                        ["packages"] = JsonSerializer.SerializeToElement(packages),
                    };
                    if (!failed)
                    {
                        e.Properties["features"] = JsonSerializer.SerializeToElement(Features.Where(_ => random.NextDouble() < 0.4).ToArray());
                        e.Measurements = new Dictionary<string, double> { ["duration"] = Math.Round(200 + random.NextDouble() * random.NextDouble() * (command == "build" ? 60_000 : 4_000)) };
                    }

                    events.Add(e);
                    if (random.NextDouble() < 0.02)
                    {
                        var crash = Event("crash", install, time, version, os, ci, container);
                        crash.Properties = new Dictionary<string, JsonElement> { ["stack"] = Some.Json(Stacks[Math.Min(Stacks.Length - 1, (int)(random.NextDouble() * random.NextDouble() * 4))]) };
                        events.Add(crash);
                    }
                }
            }
        }

        return events;
    }

    public static WireEvent Event(string name, Guid install, DateTimeOffset time, string version = "1.4.0", string os = "linux", string? ci = null, bool container = false) => new()
    {
        Id = Guid.NewGuid(),
        Name = name,
        Time = time,
        Product = Product,
        Revision = 1,
        Install = install,
        Session = Guid.NewGuid(),
        Verifier = Some.VerifierOf(install),
        Context = new WireContext
        {
            Version = version,
            Os = os,
            OsVersion = os == "linux" ? "ubuntu 24.04" : os == "windows" ? "10.0.22631" : "14.5",
            Arch = "x64",
            Runtime = version == "1.2.0" ? "8.0.11" : "9.0.4",
            Ci = ci,
            Container = container,
            Interactive = ci is null,
            Host = ci is null ? (container ? "container" : "process") : "ci",
        },
    };

    /// <summary>Registers the product with threshold <paramref name="k"/>, sends <paramref name="events"/> and returns a reader token.</summary>
    public static async Task<string> SetUpAsync(TestCollector collector, IReadOnlyList<WireEvent> events, int k = 5)
    {
        var key = await collector.RegisterAsync(ManifestJson, k: k);
        foreach (var batch in events.Chunk(500))
        {
            var response = await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, batch));
            Assert.Equal(batch.Length, response.Accepted);
        }

        return await collector.CreateReaderAsync();
    }

    private static string Pick(Random random, (string Value, int Weight)[] choices)
    {
        var roll = random.Next(choices.Sum(c => c.Weight));
        foreach (var (value, weight) in choices)
        {
            if ((roll -= weight) < 0)
            {
                return value;
            }
        }

        return choices[^1].Value;
    }
}
