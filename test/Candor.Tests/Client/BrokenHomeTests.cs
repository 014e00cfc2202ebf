using Candor.Catalog;
using Candor.Consent;
using Candor.Delivery;
using Candor.Storage;
using Candor.Tests.Delivery;
using Candor.Tests.Support;

namespace Candor.Tests.Client;

/// <summary>
/// A tool built on <see cref="CandorClient.Create"/>, run as a real process over a home one of whose files is broken:
/// the tool runs and exits normally, the file is set aside, and the rest of the home goes on working.
/// </summary>
public sealed class BrokenHomeTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;
    private TestCollector _collector = null!;

    public BrokenHomeTests()
    {
        _home = new CandorHome(_temp.Path);
    }

    public async Task InitializeAsync() => _collector = await TestCollector.StartAsync();

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public async Task Create_SettingsWithBadBytes_RunsOffAndSetsTheFileAside(string fault)
    {
        await FirstRunAsync();
        var identity = File.ReadAllBytes(_home.IdentityFile("sample"));
        File.WriteAllBytes(_home.SettingsFile, BrokenBytes.For(fault, "level", "all"));

        var source = await RunAsync();

        Assert.Equal(nameof(ConsentSource.UserMachine), source);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.SettingsFile));
        Assert.Equal("off", new SettingsStore(_home, PhysicalFileSystem.Instance).Read().MachineLevel);
        Assert.Equal(identity, File.ReadAllBytes(_home.IdentityFile("sample")));
        Assert.Empty(_collector.Stored);
    }

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public async Task Create_CatalogueWithBadBytes_RunsDeliversAndSetsTheFileAside(string fault)
    {
        await FirstRunAsync();
        File.WriteAllBytes(_home.CatalogFile("sample"), BrokenBytes.For(fault, "product", "sample"));

        var source = await RunAsync();

        Assert.Equal(nameof(ConsentSource.ProductDefault), source);
        Assert.Equal(2, _collector.Stored.Count);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.CatalogFile("sample")));
        Assert.NotNull(new ProductRecordStore(_home, PhysicalFileSystem.Instance).TryRead("sample")?.Manifest);
    }

    // The other faults are the component tests' (BrokenDeliveryFilesTests, BrokenIdentityTests): a process each is slow.
    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    public async Task Create_DeliveryStateWithBadBytes_RunsDeliversAndSetsTheFileAside(string fault)
    {
        await FirstRunAsync();
        File.WriteAllBytes(_home.DeliveryState("sample"), BrokenBytes.For(fault, "nextAttempt", "2999-01-01T00:00:00+00:00"));

        var source = await RunAsync();

        Assert.Equal(nameof(ConsentSource.ProductDefault), source);
        Assert.Equal(2, _collector.Stored.Count);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.DeliveryState("sample")));
    }

    // The other faults are the component tests' (BrokenDeliveryFilesTests, BrokenIdentityTests): a process each is slow.
    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    public async Task Create_IdentityWithBadBytes_ShowsTheNoticeAgainThenDelivers(string fault)
    {
        await FirstRunAsync();
        File.WriteAllBytes(_home.IdentityFile("sample"), BrokenBytes.For(fault, "install", "6f9619ff-8b86-d011-b42d-00c04fc964ff"));

        var source = await RunAsync();
        var next = await RunAsync();

        Assert.Equal(nameof(ConsentSource.FirstRunDisclosure), source);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.IdentityFile("sample")));
        Assert.Equal(nameof(ConsentSource.ProductDefault), next);
        Assert.Equal(2, _collector.Stored.Count);
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("fifo")]
    public async Task Create_SomethingNotAFileWhereSettingsBelong_RunsOffAndSetsItAside(string kind)
    {
        await FirstRunAsync();
        File.Delete(_home.SettingsFile);
        BrokenBytes.MakeNotAFile(kind, _home.SettingsFile);

        var source = await RunAsync();

        Assert.Equal(nameof(ConsentSource.UserMachine), source);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.SettingsFile));
        Assert.Equal(PathKind.File, PhysicalFileSystem.Instance.Kind(_home.SettingsFile));
    }

    [Fact]
    public async Task Create_NamedPipeInTheSpool_RunsDeliversAndSetsThePipeAside()
    {
        await FirstRunAsync();
        var pipe = Path.Combine(_home.SpoolDirectory("sample"), Candor.Delivery.Spool.FileName(DateTimeOffset.UtcNow, Guid.NewGuid()));
        Directory.CreateDirectory(_home.SpoolDirectory("sample"));
        Fifo.Make(pipe);

        await RunAsync();

        Assert.Equal(2, _collector.Stored.Count);
        Assert.False(Path.Exists(pipe));
        Assert.True(Path.Exists(Path.Combine(_home.CorruptDirectory("sample"), Path.GetFileName(pipe))));
    }

    [Fact]
    public async Task Create_FolderNamedUploadLock_RunsDeliversAndSetsTheFolderAside()
    {
        await FirstRunAsync();
        Directory.CreateDirectory(Path.Combine(_home.UploadLock, "inside"));

        await RunAsync();

        Assert.Equal(2, _collector.Stored.Count);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.UploadLock));
    }

    [Fact]
    public async Task Create_FileWhereTheSpoolFolderBelongs_RunsSpoolsDeliversAndSetsTheFileAside()
    {
        await FirstRunAsync();
        File.WriteAllText(_home.SpoolDirectory("sample"), "not a folder");

        await RunAsync();

        Assert.Equal(2, _collector.Stored.Count);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.SpoolDirectory("sample")));
    }

    // The product's first run: it shows the notice and records nothing, leaving settings, identity and catalogue.
    private async Task FirstRunAsync()
    {
        Assert.Equal(nameof(ConsentSource.FirstRunDisclosure), await RunAsync());
        Assert.True(File.Exists(_home.IdentityFile("sample")));
    }

    // One run that tracks two events, then the wait until its detached uploader is done; returns the source of consent.
    private async Task<string> RunAsync()
    {
        var environment = new Dictionary<string, string>
        {
            ["CANDOR_HOME"] = _home.Root,
            ["CI"] = "false",
            [ClientProcess.EndpointVariable] = _collector.Endpoint.ToString(),
            [ClientProcess.KeyVariable] = TestCollector.Key,
        };
        foreach (var ci in new[] { "GITHUB_ACTIONS", "TF_BUILD", "GITLAB_CI", "JENKINS_URL", "BUILD_ID" })
        {
            environment[ci] = "";
        }

        using var process = ClientProcess.Start(environment);
        using var deadline = new CancellationTokenSource(Deadline);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"the tool exited with {process.ExitCode}: {await error}");
        // Looked at without making the lock file: some tests put a folder in its place.
        while (File.Exists(_home.UploadRequest("sample")) || (File.Exists(_home.UploadLock) && UploadLock.IsHeld(_home, PhysicalFileSystem.Instance)))
        {
            await Task.Delay(50, deadline.Token);
        }

        return (await output).Trim();
    }
}
