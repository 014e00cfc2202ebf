namespace Candor.Tests;

/// <summary>Builders for test data.</summary>
internal static class Some
{
    public const string ManifestJson = """
    {
      "product": "sample",
      "name": "Sample Tool",
      "revision": 1,
      "consent": "opt-out",
      "disclosure": {
        "version": 1,
        "text": "Telemetry\n---------\nsample collects usage data. Opt out with --disable-metrics or SAMPLE_DISABLE_METRICS."
      },
      "optOut": { "environmentVariables": ["SAMPLE_DISABLE_METRICS"], "flags": ["--disable-metrics"] },
      "retentionMonths": 14,
      "machineHash": true,
      "contact": "https://example.org/sample/issues",
      "neverCollected": ["user names", "file paths", "the contents of your files"],
      "namespaces": ["Sample.Cli", "Candor.Tests"],
      "events": [
        {
          "name": "install",
          "description": "A package install finished.",
          "purpose": "Find failing packages.",
          "level": "usage",
          "properties": [
            { "name": "triplet", "kind": "enum", "values": ["x64-linux", "x64-windows", "arm64-osx"], "description": "The target triplet." },
            { "name": "packages", "kind": "list", "maxItems": 20, "description": "The packages installed.",
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
}
