using System.Text;
using System.Text.Json;
using static Candor.Conformance.Tests.RawEvents;

namespace Candor.Conformance.Tests;

/// <summary>
/// kmpkg's page: telemetry on by default for every command, three ways to opt out (the bootstrap script's
/// <c>-disableMetrics</c> for good, <c>--disable-metrics</c> for a run, <c>KMPKG_DISABLE_METRICS</c>), the notice shown
/// at bootstrap, a random UUID made on first use, <c>--printmetrics</c>; the command, its time and duration, the
/// full set of packages to install, feature flags, metrics and build times; no tracking in the built libraries; and
/// crash stacks. Each test runs <c>samples/package-manager</c> (<c>kpm</c>) as a real process against the real
/// collector, and checks what arrives there, and that nothing else does.
/// </summary>
public sealed class PackageManagerTests(PackageManagerTests.Fixture sample) : IClassFixture<PackageManagerTests.Fixture>
{
    private const string Product = "kpm";

    // The notice's opt-out sentence, the page's own words with kpm for kmpkg.
    private const string OptOutSentence = "You can opt-out of telemetry by re-running the bootstrap-kpm script with -disableMetrics,\npassing --disable-metrics to kpm on the command line,\nor by setting the KPM_DISABLE_METRICS environment variable.";

    [Fact]
    public async Task Bootstrap_ShowsTheDisclosure_ThenNeverAgain_AndSendsNothingOfThatRun()
    {
        using var user = sample.NewUser();

        var bootstrap = await user.RunAsync(sample.Official, "bootstrap");
        var next = await user.RunAsync(sample.Official, "list");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, bootstrap.ExitCode);
        Assert.Contains(sample.DisclosureText, bootstrap.Error, StringComparison.Ordinal);
        Assert.Contains(OptOutSentence, bootstrap.Error, StringComparison.Ordinal);
        Assert.Contains("kpm is ready in ", bootstrap.Output, StringComparison.Ordinal);
        Assert.Equal("", next.Error);
        var command = Assert.Single(events);
        Assert.Equal("/list", Property(command, "command"));
    }

    [Fact]
    public async Task FirstUse_MakesARandomUuid_AndEveryEventCarriesIt()
    {
        using var first = sample.NewUser();
        using var second = sample.NewUser();

        await first.RunAsync(sample.Official, "bootstrap");
        await second.RunAsync(sample.Official, "bootstrap");
        var made = first.InstallId(Product);
        await first.RunAsync(sample.Official, "install", "zlib");
        await second.RunAsync(sample.Official, "install", "zlib");
        var events = await sample.DeliveredAsync(first);

        Assert.NotNull(made);
        Assert.Equal(made, first.InstallId(Product));
        var install = Guid.Parse(made);
        Assert.Equal(4, install.Version);
        Assert.NotEqual(made, second.InstallId(Product));
        Assert.Equal(["build", "command", "install"], events.Select(Name).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal(made, e.GetProperty("install").GetString()));
    }

    [Fact]
    public async Task EveryCommand_SendsTheCommandUsed_ItsTimeOfInvocation_AndHowLongItTook()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "bootstrap");

        var before = DateTimeOffset.UtcNow;
        await user.RunAsync(sample.Official, "install", "zlib", "--triplet", "x64-windows");
        await user.RunAsync(sample.Official, "list");
        await user.RunAsync(sample.Official, "search", "ss");
        await user.RunAsync(sample.Official, "remove", "zlib", "--triplet", "x64-windows");
        await user.RunAsync(sample.Official, "bootstrap");
        var after = DateTimeOffset.UtcNow;
        var events = await sample.DeliveredAsync(user);

        var commands = events.Where(e => Name(e) == "command").ToList();
        Assert.Equal(["/bootstrap", "/install", "/list", "/remove", "/search"], commands.Select(c => Property(c, "command")).Order(StringComparer.Ordinal));
        foreach (var command in commands)
        {
            Assert.Equal(["command", "options"], Names(command, "properties").Where(n => n != "option.triplet"));
            Assert.Equal(["duration", "exitCode"], Names(command, "measurements"));
            Assert.Equal(0, Measurement(command, "exitCode"));
            Assert.True(Measurement(command, "duration") >= 0);
            Assert.InRange(Time(command), before, after);
            Assert.Equal("2024.1.0", command.GetProperty("version").GetString());
        }

        // The command line: the command and the names of its options, and a value only where the manifest lists it.
        var install = commands.Single(c => Property(c, "command") == "/install");
        Assert.Equal(["--triplet"], Strings(install, "options"));
        Assert.Equal("x64-windows", Property(install, "option.triplet"));

        // The time is when the command was invoked: before the builds it ran.
        Assert.All(events.Where(e => Name(e) == "build"), build => Assert.True(Time(install) <= Time(build)));
    }

    [Fact]
    public async Task Install_SendsTheFullSetOfPackages_PublicNamesAsTheyAre_OthersHashed_WithMetricsAndBuildTimes()
    {
        using var user = sample.NewUser();
        sample.AddPort(user, "acme-canary-sdk", """{ "version": "4.2.77-canary", "dependencies": ["zlib"] }""");
        await user.RunAsync(sample.Official, "bootstrap");

        var run = await user.RunAsync(sample.Official, "install", "curl", "acme-canary-sdk");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, run.ExitCode);
        var install = events.Single(e => Name(e) == "install");
        var packages = Strings(install, "packages");
        Assert.Equal(["zlib", "openssl", "curl"], packages.Take(3));
        var hashed = packages[3];
        Assert.Matches("^[0-9a-f]{32}$", hashed);
        Assert.Equal(["dryRun", "feature.binarycaching", "feature.manifests", "feature.versions", "packages", "triplet"], Names(install, "properties"));
        Assert.Equal("x64-linux", Property(install, "triplet"));
        Assert.Equal(["binaryCacheHits", "packageCount"], Names(install, "measurements"));
        Assert.Equal(4, Measurement(install, "packageCount"));
        Assert.Equal(0, Measurement(install, "binaryCacheHits"));

        // One build time per package built, under the same names.
        var builds = events.Where(e => Name(e) == "build").ToList();
        Assert.Equal(packages.Order(StringComparer.Ordinal), builds.Select(b => Property(b, "package")).Order(StringComparer.Ordinal));
        Assert.All(builds, b => Assert.Equal(["package", "triplet"], Names(b, "properties")));
        Assert.All(builds, b => Assert.Equal(["buildTime"], Names(b, "measurements")));
        Assert.All(builds, b => Assert.True(Measurement(b, "buildTime") >= 0));

        await sample.AssertNowhereOnTheCollectorAsync("acme-canary-sdk", "4.2.77-canary", user.Folder);

        // Scope: telemetry is about invocations of kpm only; nothing of it goes into the libraries kpm built.
        var id = user.InstallId(Product)!;
        foreach (var file in Directory.EnumerateFiles(user.Folder, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(user.Home, StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain(id, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("candor", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Reinstall_FromTheBinaryCache_CountsTheHits_AndSendsNoBuildTime()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "bootstrap");
        await user.RunAsync(sample.Official, "install", "fmt");
        await user.RunAsync(sample.Official, "remove", "fmt");

        await user.RunAsync(sample.Official, "install", "fmt", "sqlite3");
        var events = await sample.DeliveredAsync(user);

        var second = events.Single(e => Name(e) == "install" && Measurement(e, "packageCount") == 2);
        Assert.Equal(1, Measurement(second, "binaryCacheHits"));
        Assert.Equal(["fmt", "sqlite3"], events.Where(e => Name(e) == "build").Select(b => Property(b, "package")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FeatureFlags_FromTheVariableAndTheOption_AreSent_TheOptionsValueIsNot()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "bootstrap");
        user.Environment["KPM_FEATURE_FLAGS"] = "versions";

        await user.RunAsync(sample.Official, "install", "zlib", "--feature-flags", "-binarycaching,canary-flag", "--dry-run");
        var events = await sample.DeliveredAsync(user);

        var install = events.Single(e => Name(e) == "install");
        Assert.False(Bool(install, "feature.binarycaching"));
        Assert.True(Bool(install, "feature.manifests"));
        Assert.True(Bool(install, "feature.versions"));
        Assert.True(Bool(install, "dryRun"));
        Assert.DoesNotContain(events, e => Name(e) == "build");
        var command = events.Single(e => Name(e) == "command");
        Assert.Equal(["--dry-run", "--feature-flags"], Strings(command, "options"));
        await sample.AssertNowhereOnTheCollectorAsync("canary-flag");
    }

    [Fact]
    public async Task ManifestMode_SendsTheDependencies_AndNothingOfTheProject()
    {
        using var user = sample.NewUser();
        await File.WriteAllTextAsync(Path.Combine(user.Folder, "kpm.json"), """
            {
              "name": "canary-project-name",
              "version": "9.8.7-canary",
              "authors": ["Jane Canary <jane.canary@example.org>"],
              "repository": "https://git.example.org/canary-team/canary-repository",
              "dependencies": ["fmt", "boost-json"]
            }
            """);
        await user.RunAsync(sample.Official, "bootstrap");

        var run = await user.RunAsync(sample.Official, "install");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["fmt", "boost-json"], Strings(events.Single(e => Name(e) == "install"), "packages"));
        await sample.AssertNowhereOnTheCollectorAsync("canary-project-name", "9.8.7-canary", "jane.canary", "Jane Canary", "canary-team", "canary-repository");
    }

    [Theory]
    [InlineData("--disable-metrics")]
    [InlineData("-disableMetrics")]
    public async Task DisableMetricsFlag_ForThatRun_ShowsNoNotice_PrintsSendsAndWritesNothing(string flag)
    {
        using var user = sample.NewUser();

        var off = await user.RunAsync(sample.Official, "install", "zlib", flag, "--printmetrics");

        Assert.Equal(0, off.ExitCode);
        Assert.Equal("", off.Error);
        Assert.False(Directory.Exists(user.Home));

        // The flag held for that run only: the next one is the first use.
        var next = await user.RunAsync(sample.Official, "list");
        Assert.Contains(sample.DisclosureText, next.Error, StringComparison.Ordinal);
        await user.RunAsync(sample.Official, "install", "zlib", flag);
        await user.RunAsync(sample.Official, "list");
        var events = await sample.DeliveredAsync(user);
        Assert.Equal("/list", Property(Assert.Single(events), "command"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    public async Task DisableMetricsVariable_ShowsNoNotice_SendsAndWritesNothing(string value)
    {
        using var user = sample.NewUser();
        user.Environment["KPM_DISABLE_METRICS"] = value;

        var bootstrap = await user.RunAsync(sample.Official, "bootstrap");
        var install = await user.RunAsync(sample.Official, "install", "zlib", "--printmetrics");

        Assert.Equal("", bootstrap.Error);
        Assert.Equal("", install.Error);
        Assert.False(Directory.Exists(user.Home));
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task BootstrapDisableMetrics_OnFirstUse_ShowsNoNotice_AndTurnsTelemetryOffForGood()
    {
        using var user = sample.NewUser();

        var bootstrap = await user.RunAsync(sample.Official, "bootstrap", "-disableMetrics");
        var later = await user.RunAsync(sample.Official, "install", "zlib", "--printmetrics");
        var again = await user.RunAsync(sample.Official, "bootstrap");

        Assert.Equal(0, bootstrap.ExitCode);
        Assert.Equal("", bootstrap.Error);
        Assert.Contains("Telemetry is off for kpm on this machine, for good.", bootstrap.Output, StringComparison.Ordinal);
        Assert.Equal("", later.Error);
        Assert.Equal("", again.Error);
        Assert.False(Directory.Exists(Path.Combine(user.Home, "products")));
        Assert.Equal("off", Settings(user).GetProperty("products").GetProperty(Product).GetProperty("level").GetString());
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task BootstrapDisableMetrics_AfterUse_ErasesTheId_AndNothingIsSentFromThenOn()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "bootstrap");
        await user.RunAsync(sample.Official, "install", "zlib");
        var install = user.InstallId(Product)!;

        var optedOut = DateTimeOffset.UtcNow;
        var bootstrap = await user.RunAsync(sample.Official, "bootstrap", "-disableMetrics");
        await user.RunAsync(sample.Official, "install", "fmt");
        await user.RunAsync(sample.Official, "search");
        var status = await user.RunAsync(sample.Official, "telemetry", "status", "--json");

        Assert.Equal("", bootstrap.Error);
        Assert.Null(user.InstallId(Product));
        Assert.False(Directory.Exists(Path.Combine(user.Home, "products", Product)));
        using var state = JsonDocument.Parse(status.Output);
        Assert.Equal("off", state.RootElement.GetProperty("level").GetString());
        Assert.Equal("user-product", state.RootElement.GetProperty("source").GetString());

        // What the earlier runs' uploads delivered may have arrived; nothing from the opt-out on.
        var arrived = (await sample.Collector.RawAsync(Product)).Where(e => e.GetProperty("install").GetString() == install).ToList();
        Assert.All(arrived, e => Assert.True(Time(e) < optedOut));
        Assert.DoesNotContain(arrived, e => Name(e) == "command" && Property(e, "command") is "/bootstrap" or "/search");
    }

    [Fact]
    public async Task BootstrapScript_BuildsFromSource_WhichCollectsNothing_ShowsNoNotice_AndSendsNothing()
    {
        var builder = sample.Builder;

        var install = await builder.RunAsync(sample.Source, "install", "zlib", "--printmetrics");

        // A source build has no ingestion key: it collects nothing, so it owes no notice (an official build shows it
        // at its first real command; see Bootstrap_ShowsTheDisclosure_ThenNeverAgain_AndSendsNothingOfThatRun).
        Assert.True(sample.SourceBootstrap.ExitCode == 0, sample.SourceBootstrap.Output + sample.SourceBootstrap.Error);
        Assert.DoesNotContain(sample.DisclosureText, sample.SourceBootstrap.Error, StringComparison.Ordinal);
        Assert.Contains("kpm is ready in ", sample.SourceBootstrap.Output, StringComparison.Ordinal);

        // It prints what it would send when asked, but nothing is spooled or sent.
        Assert.DoesNotContain(sample.DisclosureText, install.Error, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"install\"", install.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(builder.Home, "products", Product, "spool")));
        var id = builder.InstallId(Product);
        Assert.NotNull(id);
        Assert.DoesNotContain(await sample.Collector.RawAsync(Product), e => e.GetProperty("install").GetString() == id);
    }

    [Fact]
    public async Task BootstrapScript_WithDisableMetrics_TurnsTelemetryOffForGood_ForTheOfficialBuildToo()
    {
        using var user = sample.NewUser();

        var script = await sample.BootstrapScriptAsync(user, "-disableMetrics");
        var later = await user.RunAsync(sample.Official, "install", "zlib", "--printmetrics");

        Assert.True(script.ExitCode == 0, script.Output + script.Error);
        Assert.DoesNotContain("Telemetry\n---------", script.Error, StringComparison.Ordinal);
        Assert.Contains("Telemetry is off for kpm on this machine, for good.", script.Output, StringComparison.Ordinal);
        Assert.Equal("", later.Error);
        Assert.False(Directory.Exists(Path.Combine(user.Home, "products")));
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task PrintMetrics_PrintsExactlyTheEventsThatArrive()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Official, "bootstrap");

        var run = await user.RunAsync(sample.Official, "install", "openssl", "--printmetrics");
        var events = await sample.DeliveredAsync(user);

        var printed = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(["build", "install", "command"], printed.Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(printed.Select(p => p.GetProperty("id").GetString()).Order(StringComparer.Ordinal), events.Select(e => e.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        foreach (var line in printed)
        {
            var arrived = events.Single(e => e.GetProperty("id").GetString() == line.GetProperty("id").GetString());
            Assert.Equal(Sorted(line.GetProperty("properties")), Sorted(arrived.GetProperty("properties")));
            Assert.Equal(Names(line, "measurements"), Names(arrived, "measurements"));
            Assert.Equal(line.GetProperty("install").GetString(), arrived.GetProperty("install").GetString());
        }
    }

    [Fact]
    public async Task Crash_SendsAStackWithNoPathOfThisMachineOrTheBuildMachine()
    {
        using var user = sample.NewUser();
        sample.AddPort(user, "acme-canary-broken", "{ \"version\": ");
        await user.RunAsync(sample.Official, "bootstrap");

        var run = await user.RunAsync(sample.Official, "install", "acme-canary-broken");
        var events = await sample.DeliveredAsync(user);

        // The user sees everything locally: the message with their path, the stack with the build machine's paths.
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(Path.Combine(user.Folder, "ports", "acme-canary-broken", "port.json"), run.Error, StringComparison.Ordinal);
        Assert.Contains("PortCatalog.cs:line", run.Error, StringComparison.Ordinal);

        Assert.Equal(["command", "command-crash"], events.Select(Name).Order(StringComparer.Ordinal));
        var crash = events.Single(e => Name(e) == "command-crash");
        Assert.Equal(["command", "exception", "options"], Names(crash, "properties"));
        var stack = Property(crash, "exception")!;
        Assert.StartsWith("System.IO.InvalidDataException", stack, StringComparison.Ordinal);
        Assert.Contains("Kpm.PortCatalog.ReadOverlay", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("/", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("damaged", stack, StringComparison.Ordinal);
        Assert.False(events.Single(e => Name(e) == "command").GetProperty("measurements").TryGetProperty("exitCode", out _));
        await sample.AssertNowhereOnTheCollectorAsync(SampleProcess.RepositoryRoot, user.Folder, "acme-canary-broken", "port.json");
    }

    [Fact]
    public async Task TelemetryShow_ListsEveryDataPointKpmCollects()
    {
        using var user = sample.NewUser();

        var show = await user.RunAsync(sample.Official, "telemetry", "show");

        Assert.Equal(0, show.ExitCode);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Fixture.ManifestPath));
        foreach (var definition in manifest.RootElement.GetProperty("events").EnumerateArray())
        {
            Assert.Contains(definition.GetProperty("name").GetString()!, show.Output, StringComparison.Ordinal);
            var fields = new[] { "properties", "measurements" }
                .SelectMany(group => definition.TryGetProperty(group, out var list) ? list.EnumerateArray().ToArray() : []);
            foreach (var field in fields)
            {
                Assert.Contains(field.GetProperty("name").GetString()!, show.Output, StringComparison.Ordinal);
            }
        }

        Assert.False(Directory.Exists(user.Home));
    }

    private static DateTimeOffset Time(JsonElement e) => e.GetProperty("time").GetDateTimeOffset();

    private static string? Property(JsonElement e, string name) =>
        e.GetProperty("properties").TryGetProperty(name, out var value) ? value.GetString() : null;

    private static bool Bool(JsonElement e, string name) => e.GetProperty("properties").GetProperty(name).GetBoolean();

    private static double Measurement(JsonElement e, string name) => e.GetProperty("measurements").GetProperty(name).GetDouble();

    private static string[] Strings(JsonElement e, string name) => [.. e.GetProperty("properties").GetProperty(name).EnumerateArray().Select(v => v.GetString()!)];

    private static string[] Names(JsonElement e, string group) => [.. e.GetProperty(group).EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static JsonElement Settings(SampleUser user) => JsonDocument.Parse(File.ReadAllText(Path.Combine(user.Home, "settings.json"))).RootElement;

    /// <summary>
    /// The collector, kpm built officially (key and address), and kpm built from source by its bootstrap script, as
    /// a contributor builds it (no key), whose first bootstrap is kept for the tests to read.
    /// </summary>
    public sealed class Fixture : SampleFixture
    {
        private const string Project = "samples/package-manager/Kpm/Kpm.csproj";

        public static string ManifestPath { get; } = Path.Combine(SampleProcess.RepositoryRoot, "samples/package-manager/Kpm/candor.json");

        public string Official { get; private set; } = "";

        public string Source => Path.Combine(Collector.Root, "source", "kpm");

        /// <summary>The contributor who built kpm from source with the bootstrap script.</summary>
        public SampleUser Builder { get; private set; } = null!;

        /// <summary>What the bootstrap script printed when it built kpm from source for <see cref="Builder"/>.</summary>
        internal Run SourceBootstrap { get; private set; } = null!;

        /// <summary>The notice, as the manifest words it.</summary>
        public string DisclosureText { get; private set; } = "";

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(ManifestPath);
            using (var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(ManifestPath)))
            {
                DisclosureText = manifest.RootElement.GetProperty("disclosure").GetProperty("text").GetString()!;
            }

            Official = Path.Combine(await SampleProcess.BuildAsync(Project, Path.Combine(Collector.Root, "official"), Key, Collector.Endpoint), "kpm");
            Builder = NewUser();
            SourceBootstrap = await BootstrapScriptAsync(Builder);
        }

        /// <summary>Runs <c>bootstrap-kpm.sh</c> as <paramref name="user"/>: it builds kpm from source into <see cref="Source"/>, then runs its bootstrap step.</summary>
        internal Task<Run> BootstrapScriptAsync(SampleUser user, params string[] arguments)
        {
            var environment = new Dictionary<string, string>(user.Environment)
            {
                ["KPM_BUILD_OUTPUT"] = Path.GetDirectoryName(Source)!,
                ["KPM_BUILD_CONFIGURATION"] = "Conformance",
            };
            return SampleProcess.RunBuildStepAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/package-manager/bootstrap-kpm.sh"), arguments, environment, user.Folder);
        }

        /// <summary>Adds an overlay port of the user's own (a private package, whose name must never arrive as it is).</summary>
        public void AddPort(SampleUser user, string name, string portJson)
        {
            var folder = Path.Combine(user.Folder, "ports", name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "port.json"), portJson);
        }

        public Task<IReadOnlyList<JsonElement>> DeliveredAsync(SampleUser user) => DeliveredAsync(user, Product);

        /// <summary>Checks that none of <paramref name="canaries"/> is in any raw event of the product, nor anywhere in the collector's data folder.</summary>
        public async Task AssertNowhereOnTheCollectorAsync(params string[] canaries)
        {
            var raw = string.Join('\n', (await Collector.RawAsync(Product)).Select(e => e.GetRawText()));
            foreach (var canary in canaries)
            {
                Assert.DoesNotContain(canary, raw, StringComparison.OrdinalIgnoreCase);
            }

            Collector.AssertDataFolderHoldsNone([.. canaries.Select(Encoding.UTF8.GetBytes)]);
        }
    }
}
