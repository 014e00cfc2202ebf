using Candor.Tests.Support;

namespace Candor.Tests.Client;

/// <summary>
/// What a tool's start builds, seen from inside a real process (<see cref="StartupProbe"/>): an off run decides from
/// the environment, the settings file and the compiled manifest alone.
/// </summary>
public class StartupProbeTests
{
    private const string WriterThread = "Candor writer";

    [Theory]
    [InlineData("DO_NOT_TRACK", "1")]
    [InlineData("CANDOR_TELEMETRY", "off")]
    [InlineData("PROBE_OPTOUT", "1")]
    [InlineData(null, null)]
    public async Task OffRun_LoadsNoJsonReader_BuildsNoEventSource_StartsNoThread(string? variable, string? value)
    {
        using var home = new TempFolder();

        // A user who ran tools with telemetry on before has a settings file; turned off by a variable or a flag,
        // the run decides before it would need the file, so it neither reads nor parses it.
        File.WriteAllText(Path.Combine(home.Path, "settings.json"), """{ "version": 1, "level": "all", "products": { "other-tool": { "seen": "2026-01-01T00:00:00+00:00" } } }""");
        var environment = Environment(home);
        if (variable is not null)
        {
            environment[variable] = value!;
        }

        // Without a variable, the run is turned off by the product's flag.
        var probe = await StartupProbe.RunAsync(environment, variable is null ? ["--no-probe-telemetry", "--track"] : ["--track"]);

        Assert.Equal("Off", probe.Level);
        Assert.DoesNotContain("System.Text.Json", probe.Assemblies);
        Assert.DoesNotContain("System.Text.RegularExpressions", probe.Assemblies);
        Assert.False(probe.EventSourceBuilt);
        Assert.DoesNotContain(WriterThread, probe.Threads);

        // The only file such a run asks for is the machine policy, which is absent here: a stat says so, and the C
        // library's open is never looked up (NativeLibrary, in System.Runtime.InteropServices).
        Assert.DoesNotContain("System.Runtime.InteropServices", probe.Assemblies);
    }

    [Fact]
    public async Task OffBySettingsFile_LoadsNoSystemTextJson_BuildsNoEventSource_StartsNoThread()
    {
        using var home = new TempFolder();
        File.WriteAllText(Path.Combine(home.Path, "settings.json"), """{ "version": 1, "level": "off", "products": { "other": { "level": "all" } } }""");

        var probe = await StartupProbe.RunAsync(Environment(home), "--track");

        // The home's own scanner reads the file (see JsonScanner): System.Text.Json is not even loaded, nor the
        // writers' encoder.
        Assert.Equal("Off", probe.Level);
        Assert.DoesNotContain("System.Text.Json", probe.Assemblies);
        Assert.DoesNotContain("System.Text.Encodings.Web", probe.Assemblies);
        Assert.False(probe.EventSourceBuilt);
        Assert.DoesNotContain(WriterThread, probe.Threads);
        Assert.DoesNotContain("System.Text.RegularExpressions", probe.Assemblies);
    }

    [Fact]
    public async Task PrivateBuild_TurnedOn_IsAsCheapAsOff_AndWritesNothing()
    {
        using var home = new TempFolder();
        var environment = Environment(home);
        environment["CANDOR_TELEMETRY"] = "all";

        // Built without a key, the probe can send nothing: however the user set the level, it records nothing, so it
        // loads and starts what an off run does, and makes no identity for itself.
        var probe = await StartupProbe.RunAsync(environment, "--track");

        Assert.Equal("Off", probe.Level);
        Assert.DoesNotContain("System.Text.Json", probe.Assemblies);
        Assert.DoesNotContain("System.Runtime.InteropServices", probe.Assemblies);
        Assert.False(probe.EventSourceBuilt);
        Assert.DoesNotContain(WriterThread, probe.Threads);
        Assert.Empty(home.Entries());
    }

    [Fact]
    public async Task OnRun_StartsTheWriter_ButBuildsNoEventSourceNobodyAskedFor()
    {
        var (home, probe) = await InShortRunsAsync(async (_, environment) =>
        {
            // The probe is built without an ingestion key, so it records only locally.
            environment["CANDOR_TELEMETRY"] = "local";
            await StartupProbe.RunAsync(environment);

            // The first run showed the disclosure; this one records.
            return [await StartupProbe.RunAsync(environment, "--track")];
        });
        using var cleanup = home;

        Assert.Equal("Local", probe[0].Level);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains(WriterThread, probe[0].Threads);
        }

        Assert.Contains("System.Text.Json", probe[0].Assemblies);
        Assert.False(probe[0].EventSourceBuilt);
    }

    [Fact]
    public async Task UploadingRun_WithItsIdentityMade_LoadsNoCryptography()
    {
        using var home = new TempFolder();
        var environment = Environment(home);
        environment["CANDOR_TELEMETRY"] = "all";

        // The first run makes the identity (and derives its keys, with the platform's cryptography) and shows the
        // disclosure; every later run reads what it derived.
        var first = await StartupProbe.RunAsync(environment, "--upload");
        var probe = await StartupProbe.RunAsync(environment, "--upload", "--track");

        // The mapped libraries are read from /proc/self/maps, which Linux alone has (and Candor's CI runs).
        Assert.True(OperatingSystem.IsLinux() || first.NativeLibraries.Length == 0);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Assert.Contains(first.NativeLibraries, library => library.StartsWith("libcrypto", StringComparison.Ordinal));
        Assert.Equal("All", probe.Level);
        Assert.DoesNotContain(probe.NativeLibraries, library => library.StartsWith("libcrypto", StringComparison.Ordinal) || library.StartsWith("libssl", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandingOffToTheUploader_StartsItWithoutSystemDiagnosticsProcess()
    {
        using var home = new TempFolder();
        var environment = Environment(home);
        environment["CANDOR_TELEMETRY"] = "all";
        // The first run shows the disclosure and sends nothing; the second hands its event to an uploader.
        await StartupProbe.RunAsync(environment, "--upload", "--detached");
        var state = Path.Combine(home.Path, "products", "startup-probe", "delivery.json");
        Assert.False(File.Exists(state));

        var probe = await StartupProbe.RunAsync(environment, "--upload", "--detached", "--track");

        // System.Diagnostics.Process and what it loads cost a run about ten milliseconds; the C library's posix_spawn
        // (Linux, macOS) starts the uploader without them. The probe's output pipe reached its end when the probe
        // exited, so the uploader did not keep it open. That it ran shows in the state it left.
        Assert.Equal("All", probe.Level);
        if (!OperatingSystem.IsWindows())
        {
            Assert.DoesNotContain("System.Diagnostics.Process", probe.Assemblies);
        }

        await WaitForUploaderAsync(home, state);
        Assert.Contains("connection-failed", await File.ReadAllTextAsync(state));
    }

    [Fact]
    public async Task RecordingRuns_WriteTheirEvent_WithoutSystemTextJsonOrTheEventSourceTypes()
    {
        var (home, probes) = await InShortRunsAsync(async (home, environment) =>
        {
            environment["CANDOR_TELEMETRY"] = "all";
            await StartupProbe.RunAsync(environment, "--upload", "--detached");
            var state = Path.Combine(home.Path, "products", "startup-probe", "delivery.json");

            // The first recording run hands its event to an uploader, which fails against the refusing collector and
            // backs off; the next one finds the back-off and keeps its event in the spool.
            var handingOff = await StartupProbe.RunAsync(environment, "--upload", "--detached", "--track");
            await WaitForUploaderAsync(home, state);
            return [handingOff, await StartupProbe.RunAsync(environment, "--upload", "--detached", "--track")];
        });
        using var cleanup = home;

        // The event, its stamp and its context are appended as bytes, and the home's files read by Candor's own
        // scanner: loading System.Text.Json and System.Text.Encodings.Web, and building a writer and its encoder, cost
        // every recording run milliseconds. The event source's types (System.Diagnostics.Tracing) are not touched
        // while nothing traces.
        foreach (var probe in probes)
        {
            Assert.Equal("All", probe.Level);
            Assert.DoesNotContain("System.Text.Json", probe.Assemblies);
            Assert.DoesNotContain("System.Text.Encodings.Web", probe.Assemblies);
            Assert.DoesNotContain("System.Diagnostics.Tracing", probe.Assemblies);
        }

        Assert.Equal(2, Directory.GetFiles(Path.Combine(home.Path, "products", "startup-probe", "spool"), "*.json").Length);
    }

    // A recording run that lasts past the writer's first wait (50 ms) is a long run by design: it builds the event
    // source, so that a trace session attached to it sees its events, and that loads the tracing types. On a loaded
    // machine a probe can take that long; the scenario then runs again in a fresh home, up to three times, so the
    // short run's cost is what is checked, and a machine too slow for any short run fails the test rather than pass it.
    private static async Task<(TempFolder Home, ProbeReport[] Probes)> InShortRunsAsync(Func<TempFolder, Dictionary<string, string>, Task<ProbeReport[]>> scenario)
    {
        for (var attempt = 1; ; attempt++)
        {
            var home = new TempFolder();
            var probes = await scenario(home, Environment(home));
            if (!probes.Any(p => p.EventSourceBuilt) || attempt == 3)
            {
                return (home, probes);
            }

            home.Dispose();
        }
    }

    // The uploader the run started tries the refusing collector, records the failure and ends within its second.
    private static async Task WaitForUploaderAsync(TempFolder home, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!(File.Exists(state) && !File.Exists(Path.Combine(home.Path, "upload.starting"))) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(File.Exists(state), "no uploader recorded a delivery attempt within a minute");
    }

    [Theory]
    [InlineData("DOTNET_EnableEventPipe", "1")]
    [InlineData("DOTNET_DiagnosticPorts", "{0}/probe.socket,nosuspend,connect")]
    public async Task RuntimeToldToTraceFromItsStart_BuildsTheEventSource_EvenOff(string variable, string value)
    {
        using var home = new TempFolder();
        var environment = Environment(home);
        environment["DO_NOT_TRACK"] = "1";
        environment[variable] = string.Format(System.Globalization.CultureInfo.InvariantCulture, value, home.Path);
        environment["DOTNET_EventPipeOutputPath"] = Path.Combine(home.Path, "trace.nettrace");
        environment["DOTNET_EventPipeConfig"] = "Candor:0xFFFFFFFFFFFFFFFF:4";

        var probe = await StartupProbe.RunAsync(environment);

        Assert.True(probe.EventSourceBuilt);
    }

    private static Dictionary<string, string> Environment(TempFolder home)
    {
        var environment = new Dictionary<string, string> { ["CANDOR_HOME"] = home.Path, ["CI"] = "false" };
        foreach (var ci in new[] { "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "JENKINS_URL", "BUILD_ID", "DOTNET_EnableEventPipe", "DOTNET_DiagnosticPorts" })
        {
            environment[ci] = "";
        }

        return environment;
    }
}
