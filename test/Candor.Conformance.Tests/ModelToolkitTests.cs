using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using static Candor.Conformance.Tests.RawEvents;

namespace Candor.Conformance.Tests;

/// <summary>
/// OpenVINO's page: several tools of one toolkit collect failure reports, error reports and usage data by
/// default; one decision, changed with <c>opt_in_out --opt_in</c> / <c>--opt_out</c>, holds for all of them; raw
/// data is kept at most 14 months and what passed that is deleted every month. Each test runs
/// <c>samples/model-toolkit</c>'s tools as real processes against the real collector.
/// </summary>
public sealed class ModelToolkitTests(ModelToolkitTests.Fixture sample, ModelToolkitTests.RetentionFixture retention)
    : IClassFixture<ModelToolkitTests.Fixture>, IClassFixture<ModelToolkitTests.RetentionFixture>
{
    private const string Product = "model-toolkit";

    [Fact]
    public async Task FirstRun_ShowsTheNoticeOnce_ThenEveryToolSendsItsUsageData()
    {
        using var user = sample.NewUser();

        var first = await user.RunAsync(sample.Convert, "model.onnx");
        var convert = await user.RunAsync(sample.Convert, "model.onnx", "--framework", "tensorflow", "--precision", "FP16");
        var benchmark = await user.RunAsync(sample.Benchmark, "model.onnx", "--iterations", "50");
        var events = await sample.DeliveredAsync(user);

        Assert.Contains("stop it for every tool at any time with 'opt_in_out --opt_out'", first.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("opt_in_out", convert.Error + benchmark.Error, StringComparison.Ordinal);
        Assert.Equal((0, 0), (convert.ExitCode, benchmark.ExitCode));
        Assert.Equal(["benchmark", "convert"], Names(events));
        var converted = Single(events, "convert");
        Assert.Equal("""{"command":"/","option.framework":"tensorflow","option.precision":"FP16","options":["--framework","--precision"]}""", Sorted(converted.GetProperty("properties")));
        Assert.Equal("""{"duration":"*","exitCode":0}""", Sorted(converted.GetProperty("measurements"), masked: "duration"));
        var measured = Single(events, "benchmark");
        Assert.Equal("""{"command":"/","options":["--iterations"]}""", Sorted(measured.GetProperty("properties")));
        Assert.Equal("""{"duration":"*","exitCode":0,"option.iterations":50}""", Sorted(measured.GetProperty("measurements"), masked: "duration"));
        Assert.All(events, e => Assert.Equal("2025.1.0", e.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task ErrorReports_NameTheToolAndTheReason_NoMessageNoPath()
    {
        using var user = sample.NewUser();
        File.WriteAllText(Path.Combine(user.Folder, "notes.onnx"), "these are my private notes\n1 2\n");
        await user.RunAsync(sample.Convert, "model.onnx");

        var missing = await user.RunAsync(sample.Convert, "missing.onnx");
        var invalid = await user.RunAsync(sample.Convert, "notes.onnx");
        var device = await user.RunAsync(sample.Benchmark, "model.onnx", "--device", "GPU");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal((1, 1, 1), (missing.ExitCode, invalid.ExitCode, device.ExitCode));
        Assert.Contains("[ ERROR ] There is no model at missing.onnx", missing.Error, StringComparison.Ordinal);
        Assert.Equal(["benchmark", "convert", "convert", "error", "error", "error"], Names(events));
        Assert.Equal(
            ["""{"reason":"device-unavailable","tool":"benchmark"}""", """{"reason":"invalid-model","tool":"convert"}""", """{"reason":"missing-file","tool":"convert"}"""],
            events.Where(e => Name(e) == "error").Select(e => Sorted(e.GetProperty("properties"))).Order(StringComparer.Ordinal));
        Assert.All(events.Where(e => Name(e) != "error"), e => Assert.Equal(1, e.GetProperty("measurements").GetProperty("exitCode").GetDouble()));
        Assert.Equal("GPU", Single(events, "benchmark").GetProperty("properties").GetProperty("option.device").GetString());
        Assert.All(events, e => Assert.DoesNotContain("notes", e.GetRawText(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailureReport_SendsTheScrubbedStack_NoMessageNoPath()
    {
        using var user = sample.NewUser();
        File.WriteAllText(Path.Combine(user.Folder, "ragged.onnx"), "tiny-model v1\n1 2\n3\n");
        await user.RunAsync(sample.Convert, "model.onnx");

        var run = await user.RunAsync(sample.Convert, "ragged.onnx");
        var events = await sample.DeliveredAsync(user);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("is not rectangular", run.Error, StringComparison.Ordinal);
        Assert.Equal(["convert", "convert-failure"], Names(events));
        var failure = Single(events, "convert-failure");
        Assert.Equal(["command", "exception", "options"], Members(failure.GetProperty("properties")));
        var stack = failure.GetProperty("properties").GetProperty("exception").GetString()!;
        Assert.StartsWith("System.InvalidOperationException at IrWriter.Write", stack, StringComparison.Ordinal);

        // mt-convert is a top-level-statements program: its command's action is a lambda in the compiler's <Main>$
        // of Program, in the global namespace, which the toolkit's manifest declares as "Program".
        Assert.Contains(" | Program.Main", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("<", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("_Main", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("rectangular", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("ragged", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("/", stack, StringComparison.Ordinal);
        Assert.False(Single(events, "convert").GetProperty("measurements").TryGetProperty("exitCode", out _));
    }

    [Fact]
    public async Task OptOut_WithOptInOut_StopsEveryTool_ErasesTheirData_AndSendsNoEventAboutIt()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.Convert, "model.onnx");
        await user.RunAsync(sample.Convert, "model.onnx");
        var before = user.InstallId(Product);

        var optOut = await user.RunAsync(sample.OptInOut, "--opt_out");
        await user.RunAsync(sample.Convert, "model.onnx", "--precision", "FP16");
        await user.RunAsync(sample.Benchmark, "model.onnx");
        await user.RunAsync(sample.Benchmark, "model.onnx", "--device", "NPU");

        Assert.Equal(0, optOut.ExitCode);
        Assert.Contains("Telemetry is off for every Model Toolkit tool", optOut.Output, StringComparison.Ordinal);
        Assert.NotNull(before);
        Assert.False(Directory.Exists(Path.Combine(user.Home, "products", Product)));
        Assert.Null(user.InstallId(Product));
        // The run before the opt-out may have uploaded its event on exit; the opt-out erased it if not. Nothing later arrives.
        var arrived = (await sample.Collector.RawAsync(Product)).Where(e => e.GetProperty("install").GetString() == before).ToList();
        Assert.True(arrived.Count <= 1);
        Assert.All(arrived, e => Assert.Equal("""{"command":"/","options":[]}""", Sorted(e.GetProperty("properties"))));
        // One decision for the toolkit, not for anything else on the machine: no machine-wide level is written.
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(user.Home, "settings.json"))).RootElement;
        Assert.Equal("off", settings.GetProperty("products").GetProperty(Product).GetProperty("level").GetString());
        Assert.False(settings.TryGetProperty("level", out _));
    }

    [Fact]
    public async Task OptIn_WithOptInOut_ShowsWhatIsCollected_AndTheNextRunOfAnyToolSends()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.OptInOut, "--opt_out");
        await user.RunAsync(sample.Convert, "model.onnx");

        var optIn = await user.RunAsync(sample.OptInOut, "--opt_in");
        var benchmark = await user.RunAsync(sample.Benchmark, "model.onnx", "-d", "CPU");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, optIn.ExitCode);
        Assert.Contains("failure reports, error reports and usage data", optIn.Error, StringComparison.Ordinal);
        Assert.Contains("Telemetry is on for every Model Toolkit tool", optIn.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("opt_in_out", benchmark.Error, StringComparison.Ordinal);
        Assert.Equal(["benchmark"], Names(events));
        Assert.Equal("CPU", events[0].GetProperty("properties").GetProperty("option.device").GetString());
    }

    [Fact]
    public async Task OptIn_WhileDoNotTrackIsSet_SaysNothingIsCollectedHereAndNow()
    {
        using var user = sample.NewUser();
        await user.RunAsync(sample.OptInOut, "--opt_in");
        user.Environment["DO_NOT_TRACK"] = "1";

        var optIn = await user.RunAsync(sample.OptInOut, "--opt_in");
        await user.RunAsync(sample.Benchmark, "model.onnx", "-d", "CPU");

        Assert.Equal(0, optIn.ExitCode);
        Assert.Contains("Note: here and now DO_NOT_TRACK=1, so nothing is collected until that changes.", optIn.Output, StringComparison.Ordinal);
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Fact]
    public async Task OptInOut_WithoutExactlyOneSwitch_ChangesNothing()
    {
        using var user = sample.NewUser();

        var neither = await user.RunAsync(sample.OptInOut);
        var both = await user.RunAsync(sample.OptInOut, "--opt_in", "--opt_out");

        Assert.Equal((1, 1), (neither.ExitCode, both.ExitCode));
        Assert.Contains("Give exactly one of --opt_in and --opt_out.", both.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(user.Home, "settings.json")));
    }

    [Fact]
    public async Task Retention_RawDataIsKeptAtMost14Months_AndDeletedByTheMonthlyRun()
    {
        using var user = retention.NewUser();
        await user.RunAsync(retention.Convert, "model.onnx");
        await user.RunAsync(retention.Convert, "model.onnx");
        await user.RunAsync(retention.Convert, "missing.onnx");
        var sent = (await retention.DeliveredAsync(user, Product)).Count;
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var rollups = $"/query/{Product}/events?from={today}&to={today}&interval=total";

        // Thirteen months and three weeks later (14 monthly runs), the data is still there...
        for (var month = 1; month <= 14; month++)
        {
            Assert.Contains($"{Product}: deleted 0 raw events", await retention.NextMonthlyRunAsync(), StringComparison.Ordinal);
        }

        var keptRaw = (await retention.Collector.RawAsync(Product)).Count;
        var keptRollups = (await retention.Collector.QueryAsync(rollups)).GetProperty("rows").GetArrayLength();

        // ...and the first monthly run after it reached 14 months deletes the raw events and the daily rollups.
        var deleting = await retention.NextMonthlyRunAsync();

        Assert.Equal(3, sent);
        Assert.Equal((3, 1), (keptRaw, keptRollups));
        Assert.StartsWith($"Information: Retention for {Product}: deleted 3 raw events", deleting, StringComparison.Ordinal);
        Assert.Empty(await retention.Collector.RawAsync(Product));
        Assert.Equal(0, (await retention.Collector.QueryAsync(rollups)).GetProperty("rows").GetArrayLength());
    }

    private static async Task<string> BuildToolAsync(SampleFixture fixture, string tool, string output, string key) =>
        Path.Combine(await SampleProcess.BuildAsync($"samples/model-toolkit/{tool}/{tool}.csproj", output, key, fixture.Collector.Endpoint), ToolName(tool));

    private static string ToolName(string project) => project switch
    {
        "ModelConverter" => "mt-convert",
        "BenchmarkTool" => "mt-benchmark",
        _ => "opt_in_out",
    };

    private static SampleUser WithModel(SampleUser user)
    {
        File.WriteAllText(Path.Combine(user.Folder, "model.onnx"), "tiny-model v1\n1 2\n3 4\n");
        return user;
    }

    /// <summary>The collector, and the toolkit's three tools built officially into one folder, as a release installs them.</summary>
    public sealed class Fixture : SampleFixture
    {
        public string Convert { get; private set; } = "";

        public string Benchmark { get; private set; } = "";

        public string OptInOut { get; private set; } = "";

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/model-toolkit/ModelToolkit.Common/candor.json"));
            var folder = Path.Combine(Collector.Root, "toolkit");
            Convert = await BuildToolAsync(this, "ModelConverter", folder, Key);
            Benchmark = await BuildToolAsync(this, "BenchmarkTool", folder, Key);
            OptInOut = await BuildToolAsync(this, "OptInOut", folder, Key);
        }

        public override SampleUser NewUser() => WithModel(base.NewUser());

        public Task<IReadOnlyList<JsonElement>> DeliveredAsync(SampleUser user) => DeliveredAsync(user, Product);
    }

    /// <summary>
    /// A collector of its own on a fake clock, whose retention runs every 30 days and keeps rollups no longer than
    /// raw events (the page's 14 months covers all telemetry data), with the converter built against it: moving
    /// its clock on must not age the other tests' data.
    /// </summary>
    public sealed class RetentionFixture()
        : SampleFixture(new ConformanceCollector(Clock, new Dictionary<string, string?>
        {
            ["Retention:Interval"] = "30.00:00:00",
            ["Retention:RollupMonths"] = "14",
        }))
    {
        private static readonly FakeTimeProvider Clock = new(DateTimeOffset.UtcNow);

        public string Convert { get; private set; } = "";

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/model-toolkit/ModelToolkit.Common/candor.json"));
            Convert = await BuildToolAsync(this, "ModelConverter", Path.Combine(Collector.Root, "toolkit"), Key);
        }

        public override SampleUser NewUser() => WithModel(base.NewUser());

        /// <summary>Moves the clock 30 days on and returns the log line of the retention run that starts.</summary>
        public async Task<string> NextMonthlyRunAsync()
        {
            var before = Runs().Count;
            Clock.Advance(TimeSpan.FromDays(30));
            for (var attempt = 0; attempt < 500; attempt++)
            {
                if (Runs() is { } runs && runs.Count > before)
                {
                    return runs[before];
                }

                // The retention job runs on the collector's background service; this waits for it, it does not time it.
                await Task.Delay(20);
            }

            throw new TimeoutException("the monthly retention run did not happen");
        }

        private List<string> Runs() => [.. Collector.Logs.Where(l => l.Contains($"Retention for {Product}:", StringComparison.Ordinal))];
    }
}
