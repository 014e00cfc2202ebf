using System.Text.Json;

namespace Candor.Conformance.Tests;

/// <summary>
/// Deepchecks' page: a library that reports anonymous usage as seven named events, each with an anonymous UUID,
/// the library's version, the OS and the runtime (and what hosts it: a container, a notebook, a plain process),
/// and a CLI whose <c>telemetry disable</c> is a global setting for every environment on the machine. Each test
/// runs <c>samples/validation</c> as real processes, in two environments (two installed copies, each with its own
/// working folder and variables) of one user, against the real collector.
/// </summary>
public sealed class ValidationLibraryTests(ValidationLibraryTests.Fixture sample) : IClassFixture<ValidationLibraryTests.Fixture>
{
    private const string Product = "tinychecks";

    private static readonly string[] AllActions = ["check", "check-html", "suite", "suite-html", "suite-json", "suite-wandb"];

    [Fact]
    public async Task FirstImport_ShowsTheNotice_AndSendsNothing()
    {
        using var user = sample.NewUser();

        var first = await sample.RunAsync(user, sample.EnvironmentA, "validate", "data.csv", "suite");

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Opt out, for every environment on this machine, with 'tinychecks telemetry disable'.", first.Error, StringComparison.Ordinal);
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task EveryEvent_IsOneOfTheSevenNames_WithOnlyTheAnonymousIdVersionOsAndRuntime()
    {
        using var user = sample.NewUser();
        await sample.RunAsync(user, sample.EnvironmentA, "validate", "data.csv", "check");

        var run = await sample.RunAsync(user, sample.EnvironmentA, "validate", ["data.csv", .. AllActions]);
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            ["check-to-html", "package-import", "run-check", "run-check", "run-suite", "run-suite", "run-suite", "run-suite", "suite-to-html", "suite-to-json", "suite-to-wandb"],
            events.Select(e => e.GetProperty("event").GetString()).Order(StringComparer.Ordinal));
        var install = user.InstallId(Product);
        Assert.True(Guid.TryParse(install, out _));
        Assert.All(events, e =>
        {
            Assert.Equal(install, e.GetProperty("install").GetString());
            Assert.Equal("0.18.0", e.GetProperty("version").GetString());
            Assert.Equal(ExpectedOs(), e.GetProperty("os").GetString());
            Assert.Equal(ExpectedOsVersion() ?? e.GetProperty("osVersion").GetString(), e.GetProperty("osVersion").GetString());
            Assert.Equal(Environment.Version.ToString(), e.GetProperty("runtime").GetString());
            Assert.Equal(PlainHost(), e.GetProperty("host").GetString());
            Assert.Empty(e.GetProperty("properties").EnumerateObject());
            Assert.Empty(e.GetProperty("measurements").EnumerateObject());
            // Nothing about the data: not its column names, values or file name.
            Assert.DoesNotContain("canary", e.GetRawText(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("data.csv", e.GetRawText(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task EachEvent_SaysWhatHostsTheRuntime_NotebookContainerOrPlainProcess()
    {
        using var user = sample.NewUser();
        await sample.RunAsync(user, sample.EnvironmentA, "validate", "data.csv", "check");

        // A Jupyter kernel (and every process it starts) has JPY_PARENT_PID; .NET's container images set DOTNET_RUNNING_IN_CONTAINER.
        await sample.RunAsync(user, sample.EnvironmentA, new Dictionary<string, string> { ["JPY_PARENT_PID"] = "4242" }, "validate", "data.csv", "check");
        await sample.RunAsync(user, sample.EnvironmentA, new Dictionary<string, string> { ["DOTNET_RUNNING_IN_CONTAINER"] = "true" }, "validate", "data.csv", "suite-json");
        await sample.RunAsync(user, sample.EnvironmentB, "validate", "data.csv", "suite-html");
        var events = await sample.DeliveredAsync(user);

        string HostOf(string name) => events.Single(e => e.GetProperty("event").GetString() == name).GetProperty("host").GetString()!;
        Assert.Equal("notebook", HostOf("run-check"));
        Assert.Equal("container", HostOf("suite-to-json"));
        // A plain process is "process", unless the machine running the test is itself a container, as CI machines often are.
        Assert.Equal(PlainHost(), HostOf("suite-to-html"));
    }

    [Fact]
    public async Task TelemetryDisable_InOneEnvironment_HoldsForEveryEnvironmentOnTheMachine()
    {
        using var user = sample.NewUser();
        await sample.RunAsync(user, sample.EnvironmentA, "validate", "data.csv", "check");
        await sample.RunAsync(user, sample.EnvironmentB, "validate", "data.csv", "check");
        var before = user.InstallId(Product);

        var disable = await sample.RunAsync(user, sample.EnvironmentA, "tinychecks", "telemetry", "disable");
        await sample.RunAsync(user, sample.EnvironmentA, "validate", ["data.csv", .. AllActions]);
        await sample.RunAsync(user, sample.EnvironmentB, "validate", ["data.csv", .. AllActions]);
        var statusB = await sample.RunAsync(user, sample.EnvironmentB, "tinychecks", "telemetry", "status", "--json");

        Assert.Equal(0, disable.ExitCode);
        Assert.Contains("Telemetry for tinychecks is now off.", disable.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(user.Home, "products", Product)));
        var status = JsonDocument.Parse(statusB.Output).RootElement;
        Assert.Equal(("off", "user-product"), (status.GetProperty("level").GetString(), status.GetProperty("source").GetString()));
        // Only what environment B's run before the opt-out uploaded on its exit can be there; nothing after it.
        var arrived = (await sample.Collector.RawAsync(Product)).Where(e => e.GetProperty("install").GetString() == before).Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.All(arrived, name => Assert.Contains(name, new[] { "package-import", "run-check" }));
        Assert.True(arrived.Count <= 2);
    }

    [Fact]
    public async Task TelemetryEnable_InTheOtherEnvironment_TurnsItBackOnForBoth()
    {
        using var user = sample.NewUser();
        await sample.RunAsync(user, sample.EnvironmentA, "tinychecks", "telemetry", "disable");
        await sample.RunAsync(user, sample.EnvironmentA, "validate", "data.csv", "check");

        var enable = await sample.RunAsync(user, sample.EnvironmentB, "tinychecks", "telemetry", "enable");
        await sample.RunAsync(user, sample.EnvironmentA, "validate", "data.csv", "suite-json");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, enable.ExitCode);
        Assert.Contains("TinyChecks uses telemetry to report anonymous usage information", enable.Error, StringComparison.Ordinal);
        Assert.Equal(["package-import", "run-suite", "suite-to-json"], events.Select(e => e.GetProperty("event").GetString()).Order(StringComparer.Ordinal));
    }

    private static string ExpectedOs() =>
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : "other";

    // "ID VERSION_ID" of /etc/os-release in the context's grammar, as Candor reports it (e.g. "debian 12"); null elsewhere, where the OS version number is sent.
    private static string? ExpectedOsVersion()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/etc/os-release"))
        {
            return null;
        }

        var fields = File.ReadAllLines("/etc/os-release").Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim('"'));
        var named = fields.TryGetValue("VERSION_ID", out var version) ? $"{fields["ID"]} {version}" : fields["ID"];
        return Candor.Protocol.ContextGrammar.NormalizeOsVersion(named);
    }

    // What a run with no container or notebook variable reports: the machine's own container markers decide.
    private static string PlainHost()
    {
        var cgroup = File.Exists("/proc/1/cgroup") ? File.ReadAllText("/proc/1/cgroup") : "";
        var container = File.Exists("/.dockerenv") || File.Exists("/run/.containerenv")
            || new[] { "docker", "kubepods", "containerd", "podman", "libpod", "lxc" }.Any(m => cgroup.Contains(m, StringComparison.Ordinal));
        return container ? "container" : "process";
    }

    /// <summary>One installed copy of the library, its CLI and an app, like a virtual environment.</summary>
    public sealed record AppEnvironment(string Name, string Folder);

    /// <summary>
    /// The collector, and the sample built officially into environment A, then installed again as a copy in
    /// environment B, as one package installed into two virtual environments.
    /// </summary>
    public sealed class Fixture : SampleFixture
    {
        public AppEnvironment EnvironmentA { get; private set; } = null!;

        public AppEnvironment EnvironmentB { get; private set; } = null!;

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/validation/TinyChecks.Core/candor.json"));
            var a = Path.Combine(Collector.Root, "env-a");
            await SampleProcess.BuildAsync("samples/validation/ValidateApp/ValidateApp.csproj", a, Key, Collector.Endpoint);
            await SampleProcess.BuildAsync("samples/validation/TinyChecks.Cli/TinyChecks.Cli.csproj", a, Key, Collector.Endpoint);
            var b = Path.Combine(Collector.Root, "env-b");
            Copy(a, b);
            EnvironmentA = new("a", a);
            EnvironmentB = new("b", b);
        }

        /// <summary>A user with a project folder per environment, each holding a dataset with canary column names and values.</summary>
        public override SampleUser NewUser()
        {
            var user = base.NewUser();
            foreach (var name in new[] { "a", "b" })
            {
                var project = Directory.CreateDirectory(Path.Combine(user.Folder, "project-" + name)).FullName;
                File.WriteAllText(Path.Combine(project, "data.csv"), "canary_ssn,canary_city\ncanary-123-45-6789,Paris\n,Lyon\ncanary-123-45-6789,Paris\n");
            }

            return user;
        }

        public Task<IReadOnlyList<JsonElement>> DeliveredAsync(SampleUser user) => DeliveredAsync(user, Product);

        internal Task<Run> RunAsync(SampleUser user, AppEnvironment environment, string program, params string[] arguments) =>
            RunAsync(user, environment, [], program, arguments);

        /// <summary>Runs a program of <paramref name="environment"/> in the user's project for it, with that environment's variables.</summary>
        internal Task<Run> RunAsync(SampleUser user, AppEnvironment environment, Dictionary<string, string> extra, string program, params string[] arguments)
        {
            var variables = new Dictionary<string, string>(user.Environment)
            {
                ["VIRTUAL_ENV"] = environment.Folder,
                ["PATH"] = environment.Folder + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
                // Unset (empty) unless a test sets them, so the test runner's own host does not leak into a plain run.
                ["JPY_PARENT_PID"] = "",
                ["DOTNET_INTERACTIVE_FRONTEND_NAME"] = "",
                ["DOTNET_RUNNING_IN_CONTAINER"] = "",
                ["container"] = "",
            };
            foreach (var (name, value) in extra)
            {
                variables[name] = value;
            }

            return SampleProcess.RunAsync(Path.Combine(environment.Folder, program), arguments, variables, workingDirectory: Path.Combine(user.Folder, "project-" + environment.Name));
        }

        private static void Copy(string from, string to)
        {
            foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            {
                Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
            }

            Directory.CreateDirectory(to);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(file.Replace(from, to, StringComparison.Ordinal), File.GetUnixFileMode(file));
                }
            }
        }
    }
}
