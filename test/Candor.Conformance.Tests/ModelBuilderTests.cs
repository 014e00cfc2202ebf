using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static Candor.Conformance.Tests.RawEvents;

namespace Candor.Conformance.Tests;

/// <summary>
/// The ML.NET CLI's page: no telemetry for the bare command or <c>--help</c>; a disclosure on the first command;
/// <c>DOTNET_CLI_TELEMETRY_OPTOUT</c> set to <c>1</c> or <c>true</c> turns it off; the command, the parameter names
/// but not their values, a hashed MAC address, the time, a three-octet IP address used only for the country, the
/// hashed dataset file name, its size bucket, the OS and its version, the task and the CLI version are collected;
/// user names, dataset file names and data from datasets are not. Each test runs <c>samples/model-builder</c>
/// (<c>mlb</c>) as a real process against the real collector, which has an IP-to-country file.
/// </summary>
public sealed class ModelBuilderTests(ModelBuilderTests.Fixture sample) : IClassFixture<ModelBuilderTests.Fixture>
{
    private const string Product = "mlb";
    private const string Disclosure = "mlb collects usage data in order to help us improve your experience.";

    // Every member a raw event has on the collector: what the page lists, plus the IDs and context that mlb's
    // privacy page (generated from its manifest) lists. Nothing here is an address.
    private static readonly string[] RawMembers =
        ["arch", "ci", "container", "country", "event", "host", "id", "install", "interactive", "measurements", "os", "osVersion", "properties", "revision", "runtime", "time", "version", "wsl"];

    [Fact]
    public async Task BareCommandAndHelp_CollectNothing_ShowNoDisclosure_AndWriteNoFile()
    {
        using var user = sample.NewUser();

        Run[] runs =
        [
            await user.RunAsync(sample.Mlb),
            await user.RunAsync(sample.Mlb, "--help"),
            await user.RunAsync(sample.Mlb, "-h"),
            await user.RunAsync(sample.Mlb, "--version"),
            await user.RunAsync(sample.Mlb, "auto-train", "--help"),
        ];

        Assert.Contains("Usage:", runs[1].Output, StringComparison.Ordinal);
        Assert.All(runs, run => Assert.DoesNotContain(Disclosure, run.Error, StringComparison.Ordinal));
        Assert.False(Directory.Exists(user.Home));
        Assert.Empty(await sample.DeliveredAsync(user));

        // They did not use up the disclosure either: the first real command shows it.
        var first = await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");
        Assert.Contains(Disclosure, first.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirstCommand_ShowsTheDisclosure_SayingHowToOptOut_AndSendsNothing()
    {
        using var user = sample.NewUser();

        var first = await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");
        var second = await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Best model for regression", first.Output, StringComparison.Ordinal);
        Assert.Contains("setting the DOTNET_CLI_TELEMETRY_OPTOUT environment variable to '1' or 'true'", first.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Disclosure, second.Error, StringComparison.Ordinal);
        // One run's events: the second's. The run that showed the notice recorded nothing.
        Assert.Equal(["command", "dataset"], Names(await sample.DeliveredAsync(user)));
    }

    [Fact]
    public async Task Command_SendsExactlyTheDocumentedDataPoints_AndNothingElse()
    {
        using var user = sample.NewUser();
        await FirstRunAsync(user);
        var before = DateTimeOffset.UtcNow;

        var run = await user.RunAsync(sample.Mlb,
            "auto-train", "--task", "regression", "--dataset", Dataset(user), "--label-column-name", "price",
            "--output-path", Path.Combine(user.Folder, "model"), "--max-exploration-time", "5", "--verbosity", "diag", "--name", "HousePrices");
        var after = DateTimeOffset.UtcNow;
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["command", "dataset"], Names(events));
        Assert.All(events, e => Assert.Equal(RawMembers, Members(e)));

        // What command was invoked; the parameter names used, not their values; the value of --task.
        var command = Single(events, "command");
        Assert.Equal(
            """{"command":"/auto-train","option.task":"regression","options":["--dataset","--label-column-name","--max-exploration-time","--name","--output-path","--task","--verbosity"]}""",
            Sorted(command.GetProperty("properties")));
        Assert.Equal(["duration", "exitCode"], Members(command.GetProperty("measurements")));
        Assert.Equal(0, command.GetProperty("measurements").GetProperty("exitCode").GetDouble());

        // The hashed dataset file name, the dataset's size bucket, the task.
        var dataset = Single(events, "dataset");
        Assert.Equal(["fileName", "size", "task"], Members(dataset.GetProperty("properties")));
        Assert.Matches("^[0-9a-f]{32}$", dataset.GetProperty("properties").GetProperty("fileName").GetString());
        Assert.Equal("<1000000", dataset.GetProperty("properties").GetProperty("size").GetString());
        Assert.Equal("regression", dataset.GetProperty("properties").GetProperty("task").GetString());
        Assert.Empty(dataset.GetProperty("measurements").EnumerateObject());

        foreach (var e in events)
        {
            // The timestamp of the invocation; the OS and its version; the CLI's version; the country, not the address.
            var time = e.GetProperty("time").GetDateTimeOffset();
            Assert.InRange(time, before.AddSeconds(-1), after.AddSeconds(1));
            Assert.Equal(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : "macos", e.GetProperty("os").GetString());
            Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("osVersion").GetString()));
            Assert.Equal("0.3.27703.4", e.GetProperty("version").GetString());
            Assert.Equal(Fixture.Country, e.GetProperty("country").GetString());

            // Where the CLI sent a hashed MAC address, Candor sends nothing derived from hardware (docs/conformance.md).
            Assert.False(e.TryGetProperty("machine", out _));
        }
    }

    [Fact]
    public async Task PrivacyPage_NamesEveryMemberARawEventHas_AndWhatIsNeverCollected()
    {
        using var user = sample.NewUser();

        var page = (await user.RunAsync(sample.Mlb, "telemetry", "show")).Output;

        // Each member of RawMembers, as mlb's privacy page (generated from its manifest) names it.
        string[] named =
        [
            "processor architecture", "CI vendor", "in a container", "country", "its name", "kind of host", "random event ID",
            "in an interactive terminal", "random install ID", "### `command`", "### `dataset`", "operating system's family",
            "manifest revision", ".NET version", "the time it happened", "the version of mlb", "Windows Subsystem for Linux",
            "DOTNET_CLI_TELEMETRY_OPTOUT", "personal data, such as user names", "dataset file names or paths", "data from dataset files",
        ];
        Assert.All(named, text => Assert.Contains(text, page, StringComparison.Ordinal));

        // A member added to raw events must be added to both lists above.
        Assert.Equal(18, RawMembers.Length);
        Assert.DoesNotContain("machine hash", page, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("auto-train --task binary-classification", "kind", "/auto-train", "binary-classification")]
    [InlineData("auto-train --task multiclass-classification", "colour", "/auto-train", "multiclass-classification")]
    [InlineData("classification", "colour", "/classification", "multiclass-classification")]
    [InlineData("regression", "price", "/regression", "regression")]
    public async Task EveryCommand_NamesItself_AndSendsItsTask(string commandLine, string label, string path, string task)
    {
        using var user = sample.NewUser();
        await FirstRunAsync(user);

        await user.RunAsync(sample.Mlb, [.. commandLine.Split(' '), "--dataset", Dataset(user), "--label-col", label]);
        var events = await sample.DeliveredAsync(user);

        var command = Single(events, "command");
        Assert.Equal(path, command.GetProperty("properties").GetProperty("command").GetString());
        var given = command.GetProperty("properties").TryGetProperty("option.task", out var value) ? value.GetString() : null;
        Assert.Equal(commandLine.Contains("--task", StringComparison.Ordinal) ? task : null, given);
        Assert.Equal(task, Single(events, "dataset").GetProperty("properties").GetProperty("task").GetString());
    }

    [Fact]
    public async Task NotCollected_UserNamesDatasetNamesAndTheirData_AppearNowhere_EvenInACrash()
    {
        var canary = "canary" + Guid.NewGuid().ToString("N")[..12];
        using var user = sample.NewUser(folder: canary + "-user");
        user.Environment["USER"] = user.Environment["USERNAME"] = user.Environment["LOGNAME"] = canary + "-username";
        var data = Directory.CreateDirectory(Path.Combine(user.Folder, canary + "-datasets")).FullName;
        var file = Path.Combine(data, canary + "-filename.csv");
        File.WriteAllLines(file,
        [
            $"{canary}-column-a,{canary}-column-b,{canary}-column-note,{canary}-column-label",
            $"1,2,{canary}-content-1,{canary}-category-x",
            $"2,1,{canary}-content-2,{canary}-category-x",
            $"8,9,{canary}-content-3,{canary}-category-y",
            $"9,8,{canary}-content-4,{canary}-category-y",
        ]);
        await FirstRunAsync(user);

        var trained = await user.RunAsync(sample.Mlb, "classification", "--dataset", file, "--label-column-name", canary + "-column-label",
            "--ignore-columns", canary + "-column-b", "--name", canary + "-model", "--output-path", Path.Combine(data, canary + "-output"));
        var crashed = await user.RunAsync(sample.Mlb, "regression", "-d", file, "--label-col", canary + "-column-label");
        var events = await sample.DeliveredAsync(user);

        Assert.Equal(0, trained.ExitCode);
        Assert.Equal(1, crashed.ExitCode);
        Assert.Contains($"'{canary}-category-x' was not in a correct format", crashed.Error, StringComparison.Ordinal);
        Assert.Equal(["command", "command", "command-crash", "dataset", "dataset"], Names(events));

        // A crash is reported by its exception type and mlb's own frames: no message, so no cell of the dataset.
        var crash = Single(events, "command-crash").GetProperty("properties").GetProperty("exception").GetString()!;
        Assert.StartsWith("System.FormatException at ModelBuilder.Dataset.", crash, StringComparison.Ordinal);
        Assert.Contains("ModelBuilder.Trainer.Regression", crash, StringComparison.Ordinal);

        // Nothing of the canary anywhere: not in any raw event of the product, not in any file of the collector's data.
        var raw = JsonSerializer.Serialize(await sample.Collector.RawAsync(Product));
        Assert.Contains(user.InstallId(Product)!, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(canary, raw, StringComparison.OrdinalIgnoreCase);
        sample.Collector.AssertDataFolderHoldsNone(Encoding.UTF8.GetBytes(canary), Encoding.Unicode.GetBytes(canary), Encoding.UTF8.GetBytes(canary.ToUpperInvariant()));
    }

    [Fact]
    public async Task DatasetFileName_IsAKeyedHash_OneValuePerName_NotAPlainSha256()
    {
        using var user = sample.NewUser();
        await FirstRunAsync(user);
        var elsewhere = Directory.CreateDirectory(Path.Combine(user.Folder, "elsewhere")).FullName;
        var sameName = Path.Combine(elsewhere, Path.GetFileName(Dataset(user)));
        var otherName = Path.Combine(elsewhere, "houses-2024.csv");
        File.Copy(Dataset(user), sameName);
        File.Copy(Dataset(user), otherName);

        foreach (var dataset in new[] { Dataset(user), sameName, otherName })
        {
            await user.RunAsync(sample.Mlb, "regression", "--dataset", dataset, "--label-column-name", "price");
        }

        var hashes = (await sample.DeliveredAsync(user)).Where(e => e.GetProperty("event").GetString() == "dataset")
            .OrderBy(e => e.GetProperty("time").GetDateTimeOffset())
            .Select(e => e.GetProperty("properties").GetProperty("fileName").GetString()!).ToList();

        Assert.Equal(3, hashes.Count);
        Assert.Equal(hashes[0], hashes[1]);
        Assert.NotEqual(hashes[0], hashes[2]);
        var plain = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("houses.csv"))).ToLowerInvariant();
        Assert.False(plain.StartsWith(hashes[0], StringComparison.Ordinal), "the file name's hash must be keyed, not a plain SHA-256 anyone can compute");
    }

    [Fact]
    public async Task MachineIdentity_IsTheRandomInstallId_AndNothingSentIsDerivedFromTheMacAddress()
    {
        var macs = PhysicalAddresses();
        using var first = sample.NewUser();
        using var second = sample.NewUser();
        foreach (var user in new[] { first, second })
        {
            await FirstRunAsync(user);
            await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");
        }

        var firstEvents = await sample.DeliveredAsync(first);
        var secondEvents = await sample.DeliveredAsync(second);
        var events = firstEvents.Concat(secondEvents).ToList();

        // Two users on one machine are two random install IDs, and nothing joins them: no machine value, and the same
        // dataset name hashes differently in each install.
        Assert.Equal(2, events.Select(e => e.GetProperty("install").GetString()).Distinct().Count());
        Assert.All(events, e => Assert.False(e.TryGetProperty("machine", out _)));
        Assert.NotEqual(FileNameHash(firstEvents), FileNameHash(secondEvents));

        // Neither the MAC nor any hash of it that a build could compute: plain, or keyed as the machine hash once was.
        var raw = JsonSerializer.Serialize(events);
        foreach (var mac in macs)
        {
            Assert.DoesNotContain(Convert.ToHexString(mac), raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))), raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(SHA256.HashData(mac))[..32], raw, StringComparison.OrdinalIgnoreCase);
            var oldKey = SHA256.HashData(Encoding.UTF8.GetBytes($"candor/product-key/v1\0{Product}\0"));
            var oldHash = HMACSHA256.HashData(oldKey, Encoding.ASCII.GetBytes("candor/machine\0").Concat(mac).ToArray());
            Assert.DoesNotContain(Convert.ToHexString(oldHash)[..32], raw, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static string FileNameHash(IEnumerable<JsonElement> events) =>
        events.First(e => e.GetProperty("event").GetString() == "dataset").GetProperty("properties").GetProperty("fileName").GetString()!;

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    public async Task OptOutVariable_OneOrTrue_CollectsNothing_AndWritesNoFile(string value)
    {
        using var user = sample.NewUser();
        user.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = value;

        var first = await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");
        var second = await user.RunAsync(sample.Mlb, "auto-train", "--task", "regression", "--dataset", Dataset(user), "--label-column-name", "price");

        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));
        Assert.DoesNotContain(Disclosure, first.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(user.Home));
        Assert.Empty(await sample.DeliveredAsync(user));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("false")]
    public async Task OptOutVariable_ZeroOrFalse_LeavesTelemetryOn(string value)
    {
        using var user = sample.NewUser();
        user.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = value;
        await FirstRunAsync(user);

        await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");

        Assert.Equal(["command", "dataset"], Names(await sample.DeliveredAsync(user)));
    }

    [Fact]
    public async Task ClientAddress_IsCutToThreeOctets_AndKeptOnlyAsACountry()
    {
        using var user = sample.NewUser();
        await FirstRunAsync(user);

        await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");
        var events = await sample.DeliveredAsync(user);

        // The country file maps 127.0.0.0 alone: the sample's 127.0.0.1 finds it only once cut to three octets.
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(Fixture.Country, e.GetProperty("country").GetString()));
        var texts = new[] { "127.0.0.1", "127.0.0.0", "127.0.0" };
        Assert.All(texts, text => Assert.DoesNotContain(text, JsonSerializer.Serialize(events), StringComparison.Ordinal));

        // The truncated address in binary (7F 00 00 00) is left out: SQLite pages hold that byte run by chance.
        sample.Collector.AssertDataFolderHoldsNone([.. texts.SelectMany(t => new[] { Encoding.UTF8.GetBytes(t), Encoding.Unicode.GetBytes(t) }), IPAddress.Loopback.GetAddressBytes()]);
    }

    [Fact]
    public async Task DatasetSize_IsSentAsItsBucket()
    {
        using var user = sample.NewUser();
        await FirstRunAsync(user);
        var large = Path.Combine(user.Folder, "large.csv");
        using (var writer = new StreamWriter(large))
        {
            writer.WriteLine("size,rooms,price");
            for (var i = 0; writer.BaseStream.Length < 1_500_000; i++)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{40 + (i % 200)},{1 + (i % 6)},{80 + (2 * (i % 200))}"));
            }
        }

        await user.RunAsync(sample.Mlb, "regression", "--dataset", large, "--label-column-name", "price");

        Assert.Equal("1000000-10000000", Single(await sample.DeliveredAsync(user), "dataset").GetProperty("properties").GetProperty("size").GetString());
    }

    // The user's dataset, written by Fixture.NewUser.
    private static string Dataset(SampleUser user) => Path.Combine(user.Folder, "houses.csv");

    // The first command shows the disclosure and records nothing; the tests' own runs come after it.
    private async Task FirstRunAsync(SampleUser user)
    {
        var first = await user.RunAsync(sample.Mlb, "regression", "--dataset", Dataset(user), "--label-column-name", "price");
        Assert.Equal(0, first.ExitCode);
    }

    // The MAC addresses a machine hash would be taken from: adapters that are up, not loopback, with a real address.
    private static List<byte[]> PhysicalAddresses() =>
        [.. NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType is not (NetworkInterfaceType.Loopback or NetworkInterfaceType.Tunnel))
            .Select(n => n.GetPhysicalAddress().GetAddressBytes())
            .Where(a => a.Length > 0 && a.Any(b => b != 0))];

    /// <summary>The collector, with a country file for loopback, and <c>mlb</c> built as its official build is.</summary>
    public sealed class Fixture : SampleFixture
    {
        /// <summary>The country the collector's file gives the truncated loopback address, 127.0.0.0 (and no other).</summary>
        public const string Country = "NZ";

        public Fixture()
        {
            Collector.CountryRanges = ["start_ip,end_ip,country", $"127.0.0.0,127.0.0.0,{Country}"];
        }

        public string Mlb { get; private set; } = "";

        protected override async Task BuildAsync()
        {
            Key = await Collector.RegisterAsync(Path.Combine(SampleProcess.RepositoryRoot, "samples/model-builder/candor.json"));
            var output = await SampleProcess.BuildAsync("samples/model-builder/ModelBuilder.csproj", Path.Combine(Collector.Root, "official"), Key, Collector.Endpoint);
            Mlb = Path.Combine(output, "mlb");
        }

        public override SampleUser NewUser() => NewUser(folder: null);

        /// <summary>A user with a small dataset, <c>houses.csv</c>: numeric columns and two label columns.</summary>
        public SampleUser NewUser(string? folder)
        {
            var user = new SampleUser(Path.Combine(Collector.Root, "users", folder ?? Guid.NewGuid().ToString("N")));
            File.WriteAllLines(Path.Combine(user.Folder, "houses.csv"),
            [
                "size,rooms,price,kind,colour",
                "50,2,100,flat,red",
                "80,3,160,house,green",
                "120,4,230,house,blue",
                "40,1,85,flat,red",
                "95,3,185,house,green",
                "60,2,118,flat,blue",
            ]);
            return user;
        }

        public Task<IReadOnlyList<JsonElement>> DeliveredAsync(SampleUser user) => DeliveredAsync(user, Product);
    }
}
