using System.Diagnostics;
using Candor.Consent;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Consent;

public sealed class CandorSettingsTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;

    public CandorSettingsTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
    }

    public void Dispose() => _temp.Dispose();

    private CandorSettings Settings(IFileSystem? files = null) => new(_home, files ?? PhysicalFileSystem.Instance);

    [Fact]
    public void GetLevel_NothingChosen_IsNull()
    {
        var settings = Settings();

        Assert.Null(settings.GetLevel());
        Assert.Null(settings.GetLevel("kmpkg"));
        Assert.Empty(settings.Products);
    }

    [Fact]
    public void SetLevel_ProductAndMachine_AreKeptApart()
    {
        var settings = Settings();

        settings.SetLevel(TelemetryLevel.Local, "kmpkg");
        settings.SetLevel(TelemetryLevel.Errors);

        Assert.Equal(TelemetryLevel.Local, settings.GetLevel("kmpkg"));
        Assert.Equal(TelemetryLevel.Errors, settings.GetLevel());
        Assert.Null(settings.GetLevel("other"));
        Assert.Equal(["kmpkg"], settings.Products);
    }

    [Fact]
    public void SetLevel_SeenBySeparateInstance()
    {
        Settings().SetLevel(TelemetryLevel.All, "kmpkg");

        Assert.Equal(TelemetryLevel.All, Settings().GetLevel("kmpkg"));
    }

    [Fact]
    public void SetLevel_ProductOff_ErasesItsDataButKeepsItListed()
    {
        var kmpkg = _home.ProductDirectory("kmpkg");
        var other = _home.ProductDirectory("other");
        Directory.CreateDirectory(Path.Combine(kmpkg, "spool"));
        File.WriteAllText(Path.Combine(kmpkg, "identity.json"), "{}");
        File.WriteAllText(Path.Combine(kmpkg, "spool", "1.json"), "{}");
        File.WriteAllText(Path.Combine(kmpkg, "sent.jsonl"), "{}");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "identity.json"), "{}");
        var settings = Settings();

        settings.SetLevel(TelemetryLevel.Off, "kmpkg");

        Assert.False(Directory.Exists(kmpkg));
        Assert.True(File.Exists(Path.Combine(other, "identity.json")));
        Assert.Equal(TelemetryLevel.Off, settings.GetLevel("kmpkg"));
        Assert.Contains("kmpkg", settings.Products);
    }

    [Fact]
    public void SetLevel_MachineOff_ErasesEveryProductAndWithdrawsTheirChoices()
    {
        var settings = Settings();
        settings.SetLevel(TelemetryLevel.All, "kmpkg");
        settings.SetLevel(TelemetryLevel.Local, "other");
        Directory.CreateDirectory(_home.SpoolDirectory("kmpkg"));
        Directory.CreateDirectory(_home.ProductDirectory("other"));
        File.WriteAllText(_home.IdentityFile("other"), "{}");

        settings.SetLevel(TelemetryLevel.Off);

        Assert.False(Directory.Exists(_home.ProductsDirectory));
        Assert.Equal(TelemetryLevel.Off, settings.GetLevel());
        Assert.Null(settings.GetLevel("kmpkg"));
        Assert.Null(settings.GetLevel("other"));
        Assert.Equal(["kmpkg", "other"], settings.Products);
        Assert.True(File.Exists(_home.SettingsFile));
    }

    [Fact]
    public void SetLevel_On_ErasesNothing()
    {
        Directory.CreateDirectory(_home.ProductDirectory("kmpkg"));
        File.WriteAllText(_home.IdentityFile("kmpkg"), "{}");

        Settings().SetLevel(TelemetryLevel.Local, "kmpkg");
        Settings().SetLevel(TelemetryLevel.All);

        Assert.True(File.Exists(_home.IdentityFile("kmpkg")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("Upper")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    public void SetLevel_NotAProductId_ThrowsAndChangesNothing(string product)
    {
        var settings = Settings();

        Assert.Throws<ArgumentException>(() => settings.SetLevel(TelemetryLevel.Off, product));
        Assert.False(Directory.Exists(_home.Root));
    }

    [Fact]
    public void ClearLevel_Product_FallsBackToNoChoice()
    {
        var settings = Settings();
        settings.SetLevel(TelemetryLevel.Local, "kmpkg");
        settings.SetLevel(TelemetryLevel.All);

        settings.ClearLevel("kmpkg");
        settings.ClearLevel();

        Assert.Null(settings.GetLevel("kmpkg"));
        Assert.Null(settings.GetLevel());
        Assert.Equal(["kmpkg"], settings.Products);
    }

    [Fact]
    public void GetLevel_HandEditedValueThatIsNotALevel_ReadsAsOff()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, """{"level": "maybe", "products": {"kmpkg": {"level": "yes"}}}""");

        Assert.Equal(TelemetryLevel.Off, Settings().GetLevel());
        Assert.Equal(TelemetryLevel.Off, Settings().GetLevel("kmpkg"));
    }

    [Fact]
    public void NoHome_ReadsNothingAndChangesThrowIOException()
    {
        var settings = new CandorSettings(null, PhysicalFileSystem.Instance);

        Assert.Null(settings.HomePath);
        Assert.Null(settings.GetLevel());
        Assert.Empty(settings.Products);
        var ex = Assert.Throws<IOException>(() => settings.SetLevel(TelemetryLevel.Off));
        Assert.Contains("CANDOR_HOME", ex.Message);
    }

    [Fact]
    public void SetLevel_HomeUnderARegularFile_ThrowsIOException()
    {
        var blocker = _temp.Combine("file");
        File.WriteAllText(blocker, "x");
        var settings = new CandorSettings(new CandorHome(Path.Combine(blocker, "candor")), PhysicalFileSystem.Instance);

        Assert.ThrowsAny<IOException>(() => settings.SetLevel(TelemetryLevel.All));
        Assert.Null(settings.GetLevel());
    }

    [Fact]
    public void SetLevel_HomeNotWritable_ThrowsIOException()
    {
        var files = new RecordingFileSystem { FailWrites = p => new UnauthorizedAccessException($"denied: {p}") };

        var ex = Assert.Throws<IOException>(() => Settings(files).SetLevel(TelemetryLevel.All));

        Assert.IsType<UnauthorizedAccessException>(ex.InnerException);
    }

    [Fact]
    public void SetLevel_LockHeldElsewhere_ThrowsIOException()
    {
        var files = new RecordingFileSystem { LockHeldElsewhere = true };
        var settings = new CandorSettings(_home, files, lockAttempts: 2, lockRetryDelay: TimeSpan.Zero);

        Assert.Throws<IOException>(() => settings.SetLevel(TelemetryLevel.Off, "kmpkg"));
        Assert.Null(settings.GetLevel("kmpkg"));
    }

    [Fact]
    public void SetLevel_SeveralRealProcessesAtOnce_KeepEveryChange()
    {
        const int Processes = 4;
        const int ProductsEach = 8;
        var writer = Path.Combine(AppContext.BaseDirectory, "Candor.Tests.SettingsWriter.dll");

        var running = Enumerable.Range(0, Processes).Select(p =>
        {
            var start = new ProcessStartInfo(DotnetHost(), [writer, $"w{p}", ProductsEach.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment[CandorHome.Variable] = _home.Root;
            return Process.Start(start)!;
        }).ToList();

        foreach (var process in running)
        {
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, errors);
            process.Dispose();
        }

        var settings = Settings();
        Assert.Equal(Processes * ProductsEach, settings.Products.Count);
        for (var p = 0; p < Processes; p++)
        {
            for (var i = 0; i < ProductsEach; i++)
            {
                Assert.Equal(i % 2 == 0 ? TelemetryLevel.Local : TelemetryLevel.All, settings.GetLevel($"w{p}-{i}"));
            }
        }

        Assert.Equal(TelemetryLevel.All, settings.GetLevel());
        Assert.Empty(Directory.GetFiles(_home.Root, "*.tmp"));
    }

    // The dotnet host that runs these tests, so the writer program runs on the same runtime.
    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
