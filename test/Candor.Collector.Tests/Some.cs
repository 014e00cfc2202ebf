using System.Security.Cryptography;
using System.Text.Json;
using Candor.Protocol;

namespace Candor.Collector.Tests;

/// <summary>Builders for test data.</summary>
internal static class Some
{
    public const string Product = "sample";

    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    public const string ManifestJson = """
    {
      "product": "sample",
      "name": "Sample Tool",
      "revision": 1,
      "disclosure": { "text": "sample collects usage data. Opt out with SAMPLE_DISABLE_METRICS." },
      "retentionMonths": 14,
      "machineHash": true,
      "namespaces": ["Sample.Cli", "Candor.Collector.Tests"],
      "events": [
        {
          "name": "install",
          "description": "A package install finished.",
          "purpose": "Find failing packages.",
          "properties": [
            { "name": "triplet", "kind": "enum", "values": ["x64-linux", "x64-windows", "arm64-osx"], "description": "The target triplet." },
            { "name": "packages", "kind": "list", "maxItems": 3, "description": "The packages installed.",
              "item": { "kind": "nameOrHash", "allow": ["zlib", "openssl"], "description": "A package name." } },
            { "name": "size", "kind": "bucket", "unit": "bytes", "boundaries": [1000, 100000], "description": "Download size." },
            { "name": "dataset", "kind": "hash", "description": "The dataset file name, hashed." },
            { "name": "toolVersion", "kind": "version", "description": "The compiler version." },
            { "name": "cached", "kind": "bool", "description": "Whether the binary cache was used." }
          ],
          "measurements": [
            { "name": "buildTime", "kind": "duration", "description": "How long the build took." },
            { "name": "retries", "kind": "number", "unit": "count", "minimum": 0, "maximum": 100, "description": "Download retries." }
          ]
        },
        {
          "name": "install-failed",
          "description": "A package install failed.",
          "purpose": "Find failing packages.",
          "level": "error",
          "properties": [
            { "name": "packages", "kind": "list", "maxItems": 3, "description": "The packages that failed.",
              "item": { "kind": "nameOrHash", "allow": ["zlib", "openssl"], "description": "A package name." } }
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

    /// <summary>The same manifest at revision 2, which adds an event.</summary>
    public static string ManifestRevision2 => ManifestJson
        .Replace("\"revision\": 1,", "\"revision\": 2,")
        .Replace("\"events\": [", """
            "events": [
                { "name": "start", "description": "The tool started.", "purpose": "Count runs." },
            """);

    public static WireEvent Install(Guid? install = null, DateTimeOffset? time = null, string triplet = "x64-linux", string[]? packages = null, double buildTime = 1200)
    {
        var e = Event("install", install, time);
        e.Properties = new Dictionary<string, JsonElement>
        {
            ["triplet"] = Json(triplet),
            ["packages"] = JsonSerializer.SerializeToElement(packages ?? ["zlib", "0123456789abcdef0123456789abcdef"]),
            ["size"] = Json("1000-100000"),
            ["dataset"] = Json("fedcba9876543210fedcba9876543210"),
            ["toolVersion"] = Json("13.2.0"),
            ["cached"] = JsonSerializer.SerializeToElement(true),
        };
        e.Measurements = new Dictionary<string, double> { ["buildTime"] = buildTime, ["retries"] = 2 };
        return e;
    }

    public static WireEvent Failed(Guid? install = null, DateTimeOffset? time = null, string[]? packages = null)
    {
        var e = Event("install-failed", install, time);
        e.Properties = new Dictionary<string, JsonElement> { ["packages"] = JsonSerializer.SerializeToElement(packages ?? ["zlib"]) };
        return e;
    }

    public static WireEvent Crash(string stack, Guid? install = null, DateTimeOffset? time = null)
    {
        var e = Event("crash", install, time);
        e.Properties = new Dictionary<string, JsonElement> { ["stack"] = Json(stack) };
        return e;
    }

    /// <summary>The deletion proof of a test install: any 32 bytes serve, these are derived from the install ID so each install has its own.</summary>
    public static string ProofOf(Guid install) => Convert.ToHexString(SHA256.HashData(install.ToByteArray())).ToLowerInvariant();

    /// <summary>What the install's events carry: SHA-256 of its proof's bytes, as the SDK computes it.</summary>
    public static string VerifierOf(Guid install) => Convert.ToHexString(SHA256.HashData(Convert.FromHexString(ProofOf(install)))).ToLowerInvariant();

    public static WireEvent Event(string name, Guid? install = null, DateTimeOffset? time = null) => EventOf(name, install ?? Guid.NewGuid(), time);

    private static WireEvent EventOf(string name, Guid install, DateTimeOffset? time) => new()
    {
        Id = Guid.NewGuid(),
        Name = name,
        Time = time ?? Now.AddMinutes(-5),
        Product = Product,
        Revision = 1,
        Install = install,
        Session = Guid.NewGuid(),
        Verifier = VerifierOf(install),
        Context = new WireContext
        {
            Version = "1.4.0",
            Os = "linux",
            OsVersion = "ubuntu 22.04",
            Arch = "x64",
            Runtime = "8.0.11",
            Interactive = true,
        },
    };

    public static JsonElement Json(string value) => JsonSerializer.SerializeToElement(value);
}
