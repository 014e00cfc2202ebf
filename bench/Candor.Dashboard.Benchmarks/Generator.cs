using Candor.Collector.Storage;
using Candor.Manifest;

namespace Candor.Dashboard.Benchmarks;

/// <summary>
/// Synthetic, already validated events of the acme CLI (the dashboard tests' product): each install has a
/// version, OS, CI vendor and container flag for good; each day about half the installs run commands, a few of
/// which fail (more often with one package) or crash. The same every run (a fixed seed).
/// </summary>
internal sealed class Generator(TelemetryManifest manifest, int installs, DateOnly from, long count)
{
    private const int Days = 30;

    private static readonly string[] Commands = ["install", "build", "search", "update", "remove"];
    private static readonly string[] Features = ["binarycaching", "manifests", "registries", "versions"];
    private static readonly string[] Packages = ["zlib", "openssl", "fmt", "boost", "curl"];
    private static readonly string[] Versions = ["1.4.0", "1.4.0", "1.4.0", "1.3.0", "1.3.0", "1.2.0", "1.5.0-preview.1"];
    private static readonly string[] Systems = ["linux", "linux", "linux", "windows", "windows", "macos"];
    private static readonly string[] Stacks =
    [
        "System.IO.IOException at Acme.Cli.Download.Fetch at Acme.Cli.Install.Run",
        "System.InvalidOperationException at Acme.Cli.Manifest.Load",
        "System.UnauthorizedAccessException at Acme.Cli.Cache.Write at Acme.Cli.Build.Run",
    ];

    public IEnumerable<List<IncomingEvent>> Batches(int size)
    {
        var random = new Random(11);
        var command = manifest.Find("command")!;
        var failed = manifest.Find("command-failed")!;
        var crash = manifest.Find("crash")!;
        var people = Enumerable.Range(0, installs).Select(i => (Id: new Guid(i + 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), Context: Context(random, i))).ToArray();
        var mean = (double)count / (Days * installs * 0.5);
        var batch = new List<IncomingEvent>(size);
        long written = 0;
        // Round after round over the days until the count is reached, so the total is exact.
        for (var day = 0; written < count; day = (day + 1) % Days)
        {
            var start = new DateTimeOffset(from.AddDays(day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            foreach (var (install, context) in people)
            {
                if (random.NextDouble() > 0.5)
                {
                    continue;
                }

                var runs = random.Next(1, Math.Max(2, (int)(2 * mean)));
                for (var run = 0; run < runs && written < count; run++)
                {
                    var time = start.AddSeconds(random.Next(0, 86_400));
                    var name = Commands[Math.Min(Commands.Length - 1, (int)(random.NextDouble() * random.NextDouble() * Commands.Length * 1.6))];
                    var packages = Packages.Where(_ => random.NextDouble() < 0.35).Take(3).ToArray();
                    IncomingEvent e;
                    if (random.NextDouble() < 0.01)
                    {
                        e = new IncomingEvent(Guid.NewGuid(), manifest.Product, manifest.Revision, crash, time, install, null, context,
                            [new PropertyValue(crash.Find("stack")!, [Stacks[random.Next(Stacks.Length)]])], []);
                    }
                    else if (random.NextDouble() < (packages.Contains("boost") ? 0.2 : 0.04))
                    {
                        e = new IncomingEvent(Guid.NewGuid(), manifest.Product, manifest.Revision, failed, time, install, null, context,
                            [new PropertyValue(failed.Find("command")!, [name]), new PropertyValue(failed.Find("packages")!, packages)], []);
                    }
                    else
                    {
                        e = new IncomingEvent(Guid.NewGuid(), manifest.Product, manifest.Revision, command, time, install, null, context,
                            [
                                new PropertyValue(command.Find("command")!, [name]),
                                new PropertyValue(command.Find("features")!, Features.Where(_ => random.NextDouble() < 0.4).ToArray()),
                                new PropertyValue(command.Find("packages")!, packages),
                            ],
                            [new MeasurementValue(command.Find("duration")!, 200 + random.NextDouble() * random.NextDouble() * (name == "build" ? 60_000 : 4_000))]);
                    }

                    batch.Add(e);
                    written++;
                    if (batch.Count == size)
                    {
                        yield return batch;
                        batch = new List<IncomingEvent>(size);
                    }
                }
            }
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private static EventContext Context(Random random, int install)
    {
        var version = Versions[random.Next(Versions.Length)];
        var os = Systems[random.Next(Systems.Length)];
        var ci = install % 5 == 0 ? (install % 10 == 0 ? "github-actions" : "azure-pipelines") : "";
        return new EventContext(
            version, os, os == "linux" ? "ubuntu 24.04" : os == "windows" ? "10.0.22631" : "14.5", "x64",
            version == "1.2.0" ? "8.0.11" : "9.0.4", ci, ci.Length > 0 ? "ci" : "process",
            Container: install % 7 == 0, Wsl: false, Interactive: ci.Length == 0, Country: "");
    }
}
