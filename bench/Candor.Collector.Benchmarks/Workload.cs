using System.Globalization;
using System.Text.Json;
using Candor.Collector.Storage;
using Candor.Manifest;
using Candor.Protocol;

namespace Candor.Collector.Benchmarks;

/// <summary>
/// A package manager's usage, as synthetic events: installs of packages (triplet, package list, download size
/// bucket, compiler version, cache flag, build time, retries), failed installs, commands with their duration,
/// and a few crashes. Installs are skewed (some machines use the tool every day, most rarely), each has a
/// fixed context, and upgrades to a new release every 30 days with a lag. The same events can be rendered for
/// the wire (the load generator) or handed to the store as validated events (the data set for queries).
/// </summary>
internal sealed class Workload
{
    public const string Product = "bench";

    public const string ManifestJson = """
    {
      "product": "bench",
      "name": "Bench Package Manager",
      "revision": 1,
      "disclosure": { "text": "bench collects usage data. Opt out with BENCH_DISABLE_METRICS." },
      "retentionMonths": 14,
      "namespaces": ["Bench.Cli", "Bench.Core"],
      "events": [
        {
          "name": "command",
          "description": "A command finished.",
          "purpose": "Know which commands are used and how long they take.",
          "properties": [
            { "name": "command", "kind": "enum", "values": ["install", "restore", "build", "test", "publish", "list", "update", "search", "remove", "export"], "description": "The command." },
            { "name": "succeeded", "kind": "bool", "description": "Whether it succeeded." }
          ],
          "measurements": [
            { "name": "duration", "kind": "duration", "description": "How long the command took." }
          ]
        },
        {
          "name": "install",
          "description": "A package install finished.",
          "purpose": "Find slow and failing packages.",
          "properties": [
            { "name": "triplet", "kind": "enum", "values": ["x64-linux", "x64-windows", "arm64-osx", "x64-osx", "arm64-linux", "x86-windows"], "description": "The target triplet." },
            { "name": "packages", "kind": "list", "maxItems": 5, "description": "The packages installed.",
              "item": { "kind": "nameOrHash", "allow": ["zlib", "openssl", "curl", "boost", "fmt", "spdlog", "sqlite3", "protobuf", "grpc", "abseil", "eigen3", "gtest", "libpng", "libjpeg", "nlohmann-json", "catch2", "icu", "libxml2", "lz4", "zstd"], "description": "A package name." } },
            { "name": "size", "kind": "bucket", "unit": "bytes", "boundaries": [1000, 100000, 10000000], "description": "Download size." },
            { "name": "compiler", "kind": "version", "description": "The compiler version." },
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
            { "name": "triplet", "kind": "enum", "values": ["x64-linux", "x64-windows", "arm64-osx", "x64-osx", "arm64-linux", "x86-windows"], "description": "The target triplet." },
            { "name": "packages", "kind": "list", "maxItems": 5, "description": "The packages that failed.",
              "item": { "kind": "nameOrHash", "allow": ["zlib", "openssl", "curl", "boost", "fmt", "spdlog", "sqlite3", "protobuf", "grpc", "abseil", "eigen3", "gtest", "libpng", "libjpeg", "nlohmann-json", "catch2", "icu", "libxml2", "lz4", "zstd"], "description": "A package name." } }
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

    public const int Command = 0;
    public const int Install = 1;
    public const int InstallFailed = 2;
    public const int Crash = 3;

    private static readonly string[] Commands = ["install", "restore", "build", "test", "publish", "list", "update", "search", "remove", "export"];
    private static readonly string[] Triplets = ["x64-linux", "x64-windows", "arm64-osx", "x64-osx", "arm64-linux", "x86-windows"];
    private static readonly string[] Sizes = ["<1000", "1000-100000", "100000-10000000", ">=10000000"];
    private static readonly string[] Compilers = ["13.2.0", "14.1.0", "17.0.6", "19.38.33130", "19.40.33811", "15.0.0"];
    private static readonly string[] Countries = ["US", "DE", "IN", "CN", "GB", "FR", "BR", "JP", "CA", "PL", "NL", "RU", "KR", "ES", "IT", "SE", "AU", "CH", "UA", "TW"];
    private static readonly string[] CiVendors = ["github-actions", "azure-pipelines", "gitlab", "jenkins"];

    private readonly EventDefinition[] _events;
    private readonly string[][] _packageLists;
    private readonly string[] _signatures;
    private readonly Machine[] _machines;
    private readonly DateOnly _firstDay;

    // Wire values are parsed once: building a JsonElement per event would make the load generator slower than the collector.
    private readonly Dictionary<string, JsonElement> _wireStrings = new(StringComparer.Ordinal);
    private readonly JsonElement[] _wireLists;
    private readonly JsonElement _true = JsonSerializer.SerializeToElement(true);
    private readonly JsonElement _false = JsonSerializer.SerializeToElement(false);

    /// <param name="installs">How many installs exist.</param>
    /// <param name="firstDay">The first day of the period; releases come every 30 days from it.</param>
    /// <param name="seed">Makes the installs and their contexts the same on every run.</param>
    public Workload(int installs, DateOnly firstDay, int seed = 1)
    {
        Manifest = TelemetryManifest.Parse(ManifestJson);
        _events = [Manifest.Find("command")!, Manifest.Find("install")!, Manifest.Find("install-failed")!, Manifest.Find("crash")!];
        _firstDay = firstDay;
        var random = new Random(seed);
        var allowed = _events[Install].Find("packages")!.Item!.Allow;

        // Private package names reach the collector hashed; the same name hashes the same way, so there are few.
        var hashed = Enumerable.Range(0, 300).Select(_ => Hex(random, 16)).ToArray();
        _packageLists = [.. Enumerable.Range(0, 1000).Select(_ =>
            Enumerable.Range(0, 1 + random.Next(Math.Min(5, 1 + random.Next(5))))
                .Select(_ => random.Next(10) == 0 ? hashed[random.Next(hashed.Length)] : allowed[(int)(allowed.Count * Math.Pow(random.NextDouble(), 2))])
                .Distinct(StringComparer.Ordinal)
                .ToArray())];
        _signatures = [.. Enumerable.Range(0, 60).Select(i =>
            $"System.{(i % 3 == 0 ? "IO.IOException" : i % 3 == 1 ? "InvalidOperationException" : "NullReferenceException")} at Bench.Cli.Commands.{Commands[i % Commands.Length]}.Run | Bench.Core.Step{i}.Execute")];
        _machines = [.. Enumerable.Range(0, installs).Select(_ => Machine.Create(random))];

        _wireLists = [.. _packageLists.Select(l => JsonSerializer.SerializeToElement(l))];
        foreach (var value in Commands.Concat(Triplets).Concat(Sizes).Concat(Compilers).Concat(_signatures))
        {
            _wireStrings[value] = JsonSerializer.SerializeToElement(value);
        }
    }

    public TelemetryManifest Manifest { get; }

    public int Installs => _machines.Length;

    /// <summary>
    /// The events of one day: sessions of 1 to 12 events from installs picked with a strong skew, until
    /// <paramref name="count"/> events; times are spread over the day and never later than <paramref name="notAfter"/>.
    /// </summary>
    public IEnumerable<SyntheticEvent> Day(DateOnly day, int count, Random random, DateTimeOffset notAfter)
    {
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var span = Math.Max(1, Math.Min(86_400_000, (long)(notAfter - start).TotalMilliseconds));
        var produced = 0;
        while (produced < count)
        {
            var install = (int)(_machines.Length * Math.Pow(random.NextDouble(), 3));
            var session = Math.Min(count - produced, 1 + random.Next(12));
            var time = start.AddMilliseconds(random.NextInt64(span));
            for (var i = 0; i < session; i++)
            {
                var kind = random.Next(100) switch
                {
                    < 45 => Command,
                    < 88 => Install,
                    < 99 => InstallFailed,
                    _ => Crash,
                };
                yield return new SyntheticEvent(
                    NewId(random),
                    kind,
                    time < notAfter ? time : notAfter.AddMilliseconds(-1),
                    install,
                    random.Next(Commands.Length),
                    random.Next(Triplets.Length),
                    (int)(_packageLists.Length * Math.Pow(random.NextDouble(), 2)),
                    random.Next(Sizes.Length),
                    random.Next(Compilers.Length),
                    random.Next(10) < 7,
                    Math.Round(Math.Exp(7.5 + (1.2 * Gaussian(random))), 1),
                    random.Next(10) == 0 ? 1 + random.Next(3) : 0,
                    (int)(_signatures.Length * Math.Pow(random.NextDouble(), 2)));
                time = time.AddMilliseconds(random.Next(1, 20_000));
            }

            produced += session;
        }
    }

    /// <summary>The event as the SDK would send it.</summary>
    public WireEvent ToWire(in SyntheticEvent e)
    {
        var machine = _machines[e.Install];
        var wire = new WireEvent
        {
            Id = e.Id,
            Name = _events[e.Kind].Name,
            Time = e.Time,
            Product = Product,
            Revision = 1,
            Install = machine.Install,
            Session = machine.Session,
            Verifier = machine.Verifier,
            Context = new WireContext
            {
                Version = Version(machine, e.Time),
                Os = machine.Os,
                OsVersion = machine.OsVersion,
                Arch = machine.Arch,
                Runtime = machine.Runtime,
                Ci = machine.Ci.Length == 0 ? null : machine.Ci,
                Container = machine.Container,
                Interactive = machine.Ci.Length == 0,
                Host = machine.Ci.Length == 0 ? machine.Container ? "container" : "process" : "ci",
            },
        };
        switch (e.Kind)
        {
            case Command:
                wire.Properties = new() { ["command"] = _wireStrings[Commands[e.Command]], ["succeeded"] = e.Flag ? _true : _false };
                wire.Measurements = new() { ["duration"] = e.Duration };
                break;
            case Install:
                wire.Properties = new()
                {
                    ["triplet"] = _wireStrings[Triplets[e.Triplet]],
                    ["packages"] = _wireLists[e.Packages],
                    ["size"] = _wireStrings[Sizes[e.Size]],
                    ["compiler"] = _wireStrings[Compilers[e.Compiler]],
                    ["cached"] = e.Flag ? _true : _false,
                };
                wire.Measurements = new() { ["buildTime"] = e.Duration, ["retries"] = e.Retries };
                break;
            case InstallFailed:
                wire.Properties = new() { ["triplet"] = _wireStrings[Triplets[e.Triplet]], ["packages"] = _wireLists[e.Packages] };
                break;
            default:
                wire.Properties = new() { ["stack"] = _wireStrings[_signatures[e.Signature]] };
                break;
        }

        return wire;
    }

    /// <summary>The event as the collector's validator would hand it to the store, with the country the address gave.</summary>
    public IncomingEvent ToIncoming(in SyntheticEvent e)
    {
        var machine = _machines[e.Install];
        var definition = _events[e.Kind];
        var context = new EventContext(
            Version(machine, e.Time), machine.Os, machine.OsVersion, machine.Arch, machine.Runtime, machine.Ci,
            machine.Ci.Length == 0 ? machine.Container ? "container" : "process" : "ci",
            machine.Container, Wsl: false, Interactive: machine.Ci.Length == 0, machine.Country);
        PropertyValue Value(string field, params IReadOnlyList<string> values) => new(definition.Find(field)!, values);
        MeasurementValue Measure(string field, double value) => new(definition.Find(field)!, value);
        var flag = e.Flag ? "true" : "false";
        var (properties, measurements) = e.Kind switch
        {
            Command => ((IReadOnlyList<PropertyValue>)[Value("command", Commands[e.Command]), Value("succeeded", flag)], (IReadOnlyList<MeasurementValue>)[Measure("duration", e.Duration)]),
            Install => ([Value("triplet", Triplets[e.Triplet]), Value("packages", _packageLists[e.Packages]), Value("size", Sizes[e.Size]), Value("compiler", Compilers[e.Compiler]), Value("cached", flag)],
                [Measure("buildTime", e.Duration), Measure("retries", e.Retries)]),
            InstallFailed => ([Value("triplet", Triplets[e.Triplet]), Value("packages", _packageLists[e.Packages])], []),
            _ => ([Value("stack", _signatures[e.Signature])], []),
        };
        return new IncomingEvent(e.Id, Product, 1, definition, e.Time, machine.Install, Convert.FromHexString(machine.Verifier), context, properties, measurements);
    }

    private string Version(Machine machine, DateTimeOffset time)
    {
        var release = Math.Max(0, ((DateOnly.FromDateTime(time.UtcDateTime).DayNumber - _firstDay.DayNumber) / 30) - machine.UpgradeLag);
        return string.Create(CultureInfo.InvariantCulture, $"1.{release}.0");
    }

    private static Guid NewId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Hex(Random random, int bytes)
    {
        var buffer = new byte[bytes];
        random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }

    private sealed record Machine(
        Guid Install, Guid Session, string Verifier, string Os, string OsVersion, string Arch, string Runtime, string Ci, bool Container, string Country, int UpgradeLag)
    {
        public static Machine Create(Random random)
        {
            var os = random.Next(100) switch { < 50 => "linux", < 85 => "windows", _ => "macos" };
            var osVersion = os switch
            {
                "linux" => random.Next(3) switch { 0 => "ubuntu 22.04", 1 => "ubuntu 24.04", _ => "debian 12" },
                "windows" => random.Next(2) == 0 ? "10.0.19045" : "10.0.22631",
                _ => random.Next(2) == 0 ? "14.5" : "15.1",
            };
            var arch = os == "macos" || random.Next(10) == 0 ? "arm64" : "x64";
            string[] runtimes = ["8.0.11", "8.0.12", "9.0.1", "9.0.2", "10.0.0"];
            var ci = random.Next(5) == 0 ? CiVendors[random.Next(CiVendors.Length)] : "";
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var install = new Guid(bytes);
            random.NextBytes(bytes);
            return new Machine(
                install, new Guid(bytes), Hex(random, 32), os, osVersion, arch, runtimes[random.Next(runtimes.Length)], ci,
                ci.Length > 0 && random.Next(2) == 0, Countries[(int)(Countries.Length * Math.Pow(random.NextDouble(), 2))], random.Next(3));
        }
    }
}

/// <summary>One synthetic event: which install, which event, and indexes into the workload's value pools.</summary>
internal readonly record struct SyntheticEvent(
    Guid Id,
    int Kind,
    DateTimeOffset Time,
    int Install,
    int Command,
    int Triplet,
    int Packages,
    int Size,
    int Compiler,
    bool Flag,
    double Duration,
    int Retries,
    int Signature);
