using System.Net.NetworkInformation;
using System.Text;
using System.Text.Json;
using Candor.Catalog;
using Candor.Consent;
using Candor.Delivery;
using Candor.Storage;
using Candor.Tests.Delivery;
using Candor.Tests.Support;

namespace Candor.Tests.Client;

/// <summary>A tool built on <see cref="CandorClient.Create"/>, run as a real process with a real home, environment and collector.</summary>
public class ClientProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("DO_NOT_TRACK", "1", null)]
    [InlineData("CANDOR_TELEMETRY", "off", null)]
    [InlineData("SAMPLE_DISABLE_METRICS", "1", null)]
    [InlineData(null, null, "--disable-metrics")]
    public async Task OptedOut_PrintsNothingAndWritesNoFileAtAll(string? variable, string? value, string? flag)
    {
        using var home = new TempFolder();
        using var refusing = new RefusingEndpoint();
        var environment = Environment(home, refusing.Endpoint);
        environment["CANDOR_TELEMETRY_DEBUG"] = "1";
        if (variable is not null)
        {
            environment[variable] = value!;
        }

        var run = await RunAsync(environment, flag is null ? [] : [flag]);

        Assert.Equal("", run.Error);
        Assert.Empty(home.Entries());
    }

    // A run turned off by its flag, DO_NOT_TRACK or CANDOR_TELEMETRY is decided before the manifest, the policy and the
    // settings are read, and one turned off by the product's variable after the manifest's head alone; what it reports
    // as the decision is still the first source in the order, found when asked.
    [Theory]
    [InlineData(null, null, "ProductVariable")]
    [InlineData("DO_NOT_TRACK", null, "ProductVariable")]
    [InlineData("CANDOR_TELEMETRY", null, "ProductVariable")]
    [InlineData("DO_NOT_TRACK", "--disable-metrics", "CommandLine")]
    [InlineData(null, "--disable-metrics", "CommandLine")]
    public async Task OffAtOnce_StillNamesTheFirstSourceThatSpeaks(string? variable, string? flag, string source)
    {
        using var home = new TempFolder();
        var environment = Environment(home, endpoint: null);
        environment["SAMPLE_DISABLE_METRICS"] = "1";
        if (variable is not null)
        {
            environment[variable] = variable == "DO_NOT_TRACK" ? "1" : "off";
        }

        var run = await RunAsync(environment, flag is null ? [] : [flag]);

        Assert.Equal(source, run.Output.Trim());
        Assert.Empty(home.Entries());
    }

    // Turned off with the one switch (the settings store, as 'candor off' writes), a run decides from the settings'
    // marker without reading them, and still names the settings when asked; a later edit by hand turns it on again.
    [Fact]
    public async Task OffBySettings_DecidesFromTheMarker_NamesTheSettings_AndAHandEditTurnsItOn()
    {
        using var home = new TempFolder();
        using var refusing = new RefusingEndpoint();
        var environment = Environment(home, refusing.Endpoint);
        var candorHome = new CandorHome(home.Path);
        new SettingsStore(candorHome, PhysicalFileSystem.Instance).Update(d =>
        {
            d.Level = "off";
            return true;
        });
        var before = home.Entries();

        var off = await RunAsync(environment);

        Assert.True(File.Exists(candorHome.SettingsOffFile));
        Assert.Equal(nameof(ConsentSource.UserMachine), off.Output.Trim());
        Assert.Equal(before, home.Entries());

        File.WriteAllText(candorHome.SettingsFile, """{ "version": 1, "level": "all" }""");
        File.SetLastWriteTimeUtc(candorHome.SettingsFile, File.GetLastWriteTimeUtc(candorHome.SettingsOffFile).AddSeconds(1));
        var on = await RunAsync(environment);

        // On now, and never shown the disclosure: this run shows it and makes the product's folder.
        Assert.Equal(nameof(ConsentSource.FirstRunDisclosure), on.Output.Trim());
        Assert.NotEmpty(Directory.GetDirectories(candorHome.ProductsDirectory));
    }

    [Fact]
    public async Task FirstRun_ShowsTheDisclosureAndSendsNothing_TheSecondSpoolsBoth()
    {
        using var home = new TempFolder();
        using var refusing = new RefusingEndpoint();
        var environment = Environment(home, refusing.Endpoint);

        var first = await RunAsync(environment);
        var second = await RunAsync(environment);
        var third = await RunAsync(environment);

        Assert.Contains("sample collects usage data.", first.Error, StringComparison.Ordinal);
        Assert.Equal(nameof(ConsentSource.FirstRunDisclosure), first.Output.Trim());
        Assert.Equal("", second.Error);
        Assert.Equal(nameof(ConsentSource.ProductDefault), second.Output.Trim());
        Assert.Equal(4, SpoolFiles(home).Length);
        Assert.Equal("", third.Error);
    }

    [Fact]
    public async Task AnIngestionKeyThatCannotBeSent_FailsCreate_AndNothingIsSpooled()
    {
        using var home = new TempFolder();
        using var refusing = new RefusingEndpoint();
        var environment = Environment(home, refusing.Endpoint);
        await RunAsync(environment);

        // The sinks are built by the pipeline's writer; what is wrong with them is still refused when the client is built.
        environment[ClientProcess.KeyVariable] = "key with spaces";
        using var process = ClientProcess.Start(environment, []);
        using var deadline = new CancellationTokenSource(Deadline);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.StandardOutput.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("visible ASCII", await error, StringComparison.Ordinal);
        Assert.Empty(SpoolFiles(home));
    }

    [Fact]
    public async Task FirstRun_RecordsTheProductsManifestAndCollectorForTheCandorTool()
    {
        using var home = new TempFolder();
        using var refusing = new RefusingEndpoint();

        await RunAsync(Environment(home, refusing.Endpoint));

        var record = new ProductRecordStore(new CandorHome(home.Path), PhysicalFileSystem.Instance).TryRead("sample");
        Assert.NotNull(record?.Manifest);
        Assert.Equal("1.4.2", record.ProductVersion);
        Assert.Equal(refusing.Endpoint.ToString(), record.Endpoint);
        Assert.Equal(TestCollector.Key, record.IngestionKey);
    }

    [Fact]
    public async Task PrivateBuild_WithoutAnIngestionKey_IsOff_ShowsNoDisclosure_AndLeavesTheHomeEmpty()
    {
        using var home = new TempFolder();
        var environment = Environment(home, endpoint: null);

        var first = await RunAsync(environment);
        var second = await RunAsync(environment);

        // A build that can send nothing collects nothing: no identity, no disclosure, no product record, no "seen".
        Assert.All(new[] { first, second }, run => Assert.Equal(nameof(ConsentSource.PrivateBuild), run.Output.Trim()));
        Assert.Empty(first.Error);
        Assert.Empty(home.Entries());
    }

    [Fact]
    public async Task PrivateBuild_PrintingItsEvents_PrintsThemAtOnce_WithoutANotice_AndSpoolsNothing()
    {
        using var home = new TempFolder();
        var environment = Environment(home, endpoint: null);

        // Its first run already prints: a build that collects nothing owes no notice.
        var run = await RunAsync(environment, ["--printmetrics"]);

        Assert.Equal(nameof(ConsentSource.ProductDefault), run.Output.Trim());
        var printed = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(printed);
        Assert.All(printed, line => Assert.StartsWith("{", line, StringComparison.Ordinal));
        Assert.Empty(SpoolFiles(home));
    }

    // Chosen by the variable or in the settings: a private build reads the settings before it decides it is off.
    [Theory]
    [InlineData(true, nameof(ConsentSource.CandorVariable))]
    [InlineData(false, nameof(ConsentSource.UserMachine))]
    public async Task PrivateBuild_AtTheLocalLevel_KeepsItsEventsLocally(bool byVariable, string source)
    {
        using var home = new TempFolder();
        var environment = Environment(home, endpoint: null);
        if (byVariable)
        {
            environment["CANDOR_TELEMETRY"] = "local";
        }
        else
        {
            new SettingsStore(new CandorHome(home.Path), PhysicalFileSystem.Instance).Update(d =>
            {
                d.Level = "local";
                return true;
            });
        }

        await RunAsync(environment);

        var run = await RunAsync(environment);

        Assert.Equal(source, run.Output.Trim());
        Assert.Contains(home.Entries(), e => e.EndsWith("local.jsonl", StringComparison.Ordinal));
        Assert.Empty(SpoolFiles(home));
    }

    [Fact]
    public async Task Canaries_FedThroughEveryField_NeverReachPrintSpoolOrAnyFile()
    {
        using var home = new TempFolder();
        using var refusing = new RefusingEndpoint();
        var environment = Environment(home, refusing.Endpoint);
        await RunAsync(environment);
        string[] canaries =
        [
            System.Environment.UserName.Length >= 4 ? System.Environment.UserName : "canary-user-7f3a",
            System.Environment.MachineName,
            "canary-user-7f3a",
            "canary.person@example.org",
            "/home/canary-user-7f3a/secret-project/data.csv",
            @"C:\Users\canary-user-7f3a\secret-project\data.csv",
            .. PrimaryMac(),
        ];

        var run = await RunAsync(environment, ["--printmetrics", .. canaries]);

        var printed = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, printed.Length);
        var spooled = SpoolFiles(home).Select(File.ReadAllText).ToArray();
        Assert.Equal(printed.Order(StringComparer.Ordinal), spooled.Order(StringComparer.Ordinal));
        var everything = string.Join('\n', Directory.EnumerateFiles(home.Path, "*", SearchOption.AllDirectories).Select(ReadBesideTheUploader)) + run.Error;
        foreach (var canary in canaries)
        {
            Assert.DoesNotContain(canary, everything, StringComparison.OrdinalIgnoreCase);
        }

        // Nothing of the machine's hardware and nothing of the install's secret is sent; only the verifier of its proof.
        var identityFile = Directory.EnumerateFiles(home.Path, "identity.json", SearchOption.AllDirectories).Single();
        var secret = JsonDocument.Parse(File.ReadAllText(identityFile)).RootElement.GetProperty("secret").GetString()!;
        foreach (var sent in printed)
        {
            var e = JsonDocument.Parse(sent).RootElement;
            Assert.False(e.TryGetProperty("machine", out _));
            Assert.Matches("^[0-9a-f]{64}$", e.GetProperty("verifier").GetString());
            Assert.DoesNotContain(secret, sent, StringComparison.Ordinal);
        }

        // The allowed package and the tool's own frame still arrive: the canaries were hashed or dropped, not the event.
        Assert.Contains("\"zlib\"", printed[0] + printed[1], StringComparison.Ordinal);
        Assert.Contains("ClientProcess.Crash", printed[0] + printed[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARun_ItsEventsReachTheCollectorAfterItExits_WithoutAnotherRun()
    {
        await using var collector = await TestCollector.StartAsync();
        using var home = new TempFolder();
        var environment = Environment(home, collector.Endpoint);
        await RunAsync(environment);
        Assert.Empty(SpoolFiles(home));

        // The first run only showed the notice; this one records two events. Its output is read to its end: a
        // detached uploader that held the run's pipes would hang this.
        await RunAsync(environment);

        using var deadline = new CancellationTokenSource(Deadline);
        while (collector.Stored.Count < 2 || SpoolFiles(home).Length > 0)
        {
            await Task.Delay(50, deadline.Token);
        }

        Assert.Equal(2, collector.Stored.Count);
        Assert.All(collector.Received.Values, times => Assert.Equal(1, times));
        var layout = new CandorHome(home.Path);
        var sent = File.ReadAllLines(layout.SentLog("sample")).Where(l => l.Length > 0).ToArray();
        Assert.Equal(2, sent.Length);
        Assert.All(collector.Stored.Keys, id => Assert.Contains(sent, line => line.Contains(id.ToString(), StringComparison.Ordinal)));
        Assert.False(File.Exists(layout.UploadRequest("sample")));
        Assert.True(!File.Exists(layout.DeliveryState("sample")) || DeliveryStateJson.Read(File.ReadAllBytes(layout.DeliveryState("sample")))!.Failures == 0);
    }

    private static Dictionary<string, string> Environment(TempFolder home, Uri? endpoint)
    {
        var environment = new Dictionary<string, string> { ["CANDOR_HOME"] = home.Path, ["CI"] = "false" };
        foreach (var ci in new[] { "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "JENKINS_URL", "BUILD_ID" })
        {
            environment[ci] = "";
        }

        if (endpoint is not null)
        {
            environment[ClientProcess.EndpointVariable] = endpoint.ToString();
            environment[ClientProcess.KeyVariable] = TestCollector.Key;
        }

        return environment;
    }

    // The run's detached uploader may be at work meanwhile: it holds upload.lock (empty) and may replace or delete
    // files, so each is read without taking a lock, and one that is gone reads as nothing.
    private static string ReadBesideTheUploader(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || (e is IOException && path.EndsWith(".lock", StringComparison.Ordinal)))
        {
            return "";
        }
    }

    private static string[] SpoolFiles(TempFolder home)
    {
        var spool = new CandorHome(home.Path).SpoolDirectory("sample");
        return Directory.Exists(spool) ? Directory.GetFiles(spool, "*.json") : [];
    }

    private static IEnumerable<string> PrimaryMac()
    {
        var mac = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .Select(n => n.GetPhysicalAddress().GetAddressBytes())
            .FirstOrDefault(b => b.Length == 6 && b.Any(x => x != 0));
        return mac is null ? [] : [Convert.ToHexString(mac), string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)))];
    }

    private static async Task<(string Output, string Error)> RunAsync(Dictionary<string, string> environment, string[]? args = null)
    {
        using var process = ClientProcess.Start(environment, args ?? []);
        using var deadline = new CancellationTokenSource(Deadline);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"the tool exited with {process.ExitCode}: {await error}");
        return (await output, (await error).Replace("\r\n", "\n", StringComparison.Ordinal));
    }
}
