using Candor.Identity;
using Candor.Storage;
using Candor.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Tests.Identity;

public sealed class IdentityStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 5, 1, 8, 30, 0, TimeSpan.Zero);

    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;
    private readonly FakeTimeProvider _clock = new(Start);

    public IdentityStoreTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
    }

    public void Dispose() => _temp.Dispose();

    private IdentityStore Store(IFileSystem? files = null) => new(_home, files ?? PhysicalFileSystem.Instance, _clock);

    [Fact]
    public void TryRead_NoFile_IsNullAndWritesNothing()
    {
        var files = new RecordingFileSystem();

        Assert.Null(Store(files).TryRead("sample"));
        Assert.Empty(files.Changes);
        Assert.False(Directory.Exists(_home.Root));
    }

    [Fact]
    public void GetOrCreate_FirstTime_CreatesRandomInstallIdWithFirstUse()
    {
        var identity = Store().GetOrCreate("sample");

        Assert.NotEqual(Guid.Empty, identity.Install);
        Assert.Equal(Start, identity.FirstUse);
        Assert.Equal(0, identity.DisclosureVersion);
        Assert.True(File.Exists(_home.IdentityFile("sample")));
    }

    [Fact]
    public void GetOrCreate_Again_ReturnsTheSameIdentityWithoutWriting()
    {
        var first = Store().GetOrCreate("sample");
        var files = new RecordingFileSystem();
        _clock.Advance(TimeSpan.FromDays(3));

        var second = Store(files).GetOrCreate("sample");

        Assert.Equal(first, second);
        Assert.Empty(files.Changes);
    }

    [Fact]
    public void GetOrCreate_TwoProducts_GetUnrelatedInstallIds()
    {
        var a = Store().GetOrCreate("alpha");
        var b = Store().GetOrCreate("beta");

        Assert.NotEqual(a.Install, b.Install);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"install\": \"not-a-guid\"}")]
    [InlineData("{\"install\": \"00000000-0000-0000-0000-000000000000\"}")]
    [InlineData("{\"inst")]
    [InlineData("null")]
    [InlineData("[]")]
    public void GetOrCreate_CorruptFile_WritesAFreshIdentity(string contents)
    {
        Directory.CreateDirectory(_home.ProductDirectory("sample"));
        File.WriteAllText(_home.IdentityFile("sample"), contents);

        Assert.Null(Store().TryRead("sample"));
        var identity = Store().GetOrCreate("sample");

        Assert.NotEqual(Guid.Empty, identity.Install);
        Assert.Equal(identity, Store().TryRead("sample"));
    }

    [Fact]
    public void GetOrCreate_OnLinux_FileIsOwnerOnlyAndFoldersArePrivate()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix modes do not exist there; the folder's ACL is inherited from the user's profile.
        }

        Store().GetOrCreate("sample");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_home.IdentityFile("sample")));
        var privateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(privateFolder, File.GetUnixFileMode(_home.ProductDirectory("sample")));
        Assert.Equal(privateFolder, File.GetUnixFileMode(_home.ProductsDirectory));
        Assert.Equal(privateFolder, File.GetUnixFileMode(_home.Root));
    }

    [Fact]
    public void GetOrCreate_ManyFirstRunsAtOnce_AgreeOnOneInstallId()
    {
        var ids = new Guid[16];

        Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            ids[i] = new IdentityStore(_home, PhysicalFileSystem.Instance, _clock, lockRetryDelay: TimeSpan.FromMilliseconds(1)).GetOrCreate("sample").Install);

        Assert.Single(ids.Distinct());
    }

    [Fact]
    public void GetOrCreate_HomeUnderARegularFile_Throws()
    {
        var blocker = _temp.Combine("file");
        File.WriteAllText(blocker, "x");
        var store = new IdentityStore(new CandorHome(Path.Combine(blocker, "candor")), PhysicalFileSystem.Instance, _clock);

        Assert.ThrowsAny<IOException>(() => store.GetOrCreate("sample"));
        Assert.Null(store.TryRead("sample"));
    }

    [Fact]
    public void GetOrCreate_HomeInProc_Throws()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc is Linux's: not writable even by root.
        }

        var store = new IdentityStore(new CandorHome("/proc/candor-test"), PhysicalFileSystem.Instance, _clock);

        var ex = Record.Exception(() => store.GetOrCreate("sample"));

        Assert.True(ex is IOException or UnauthorizedAccessException, ex?.ToString());
    }

    [Fact]
    public void RecordDisclosure_KeepsInstallIdAndOnlyGoesUp()
    {
        var store = Store();
        var created = store.GetOrCreate("sample");

        store.RecordDisclosure("sample", 2);
        store.RecordDisclosure("sample", 1);

        var read = store.TryRead("sample");
        Assert.Equal(created with { DisclosureVersion = 2 }, read);
    }

    [Fact]
    public void RecordDisclosure_NoIdentityYet_CreatesIt()
    {
        var identity = Store().RecordDisclosure("sample", 1);

        Assert.Equal(1, identity.DisclosureVersion);
        Assert.Equal(identity, Store().TryRead("sample"));
    }

    [Fact]
    public void Reset_GivesANewInstallIdAndKeepsFirstUseAndDisclosure()
    {
        var before = Store().RecordDisclosure("sample", 2);
        _clock.Advance(TimeSpan.FromDays(3));

        var after = Store().Reset("sample");

        Assert.NotNull(after);
        Assert.NotEqual(before.Install, after.Install);
        Assert.Equal(before.FirstUse, after.FirstUse);
        Assert.Equal(2, after.DisclosureVersion);
        Assert.Equal(after, Store().TryRead("sample"));
    }

    [Fact]
    public void GetOrCreate_FirstTime_CreatesASecretKeptInTheFileAlone()
    {
        var identity = Store().GetOrCreate("sample");

        Assert.True(InstallSecret.IsWellFormed(identity.Secret));
        Assert.Contains(identity.Secret!, File.ReadAllText(_home.IdentityFile("sample")));
        Assert.NotEqual(identity.Secret, Store().GetOrCreate("other").Secret);
    }

    [Fact]
    public void GetOrCreate_FileWithoutASecret_AddsOneAndKeepsTheInstallId()
    {
        var install = Guid.NewGuid();
        Directory.CreateDirectory(_home.ProductDirectory("sample"));
        File.WriteAllText(_home.IdentityFile("sample"), $$"""{"install": "{{install}}", "firstUse": "2024-01-02T00:00:00+00:00", "disclosureVersion": 1}""");
        Assert.Null(Store().TryRead("sample")!.Secret);

        var upgraded = Store().GetOrCreate("sample");

        Assert.Equal(install, upgraded.Install);
        Assert.Equal(1, upgraded.DisclosureVersion);
        Assert.True(InstallSecret.IsWellFormed(upgraded.Secret));
        Assert.Equal(upgraded, Store().TryRead("sample"));
        Assert.Equal(upgraded, Store().GetOrCreate("sample"));
    }

    [Fact]
    public void ReadFile_SecretNotWellFormed_IsUnusable()
    {
        Directory.CreateDirectory(_home.ProductDirectory("sample"));
        File.WriteAllText(_home.IdentityFile("sample"), $$"""{"install": "{{Guid.NewGuid()}}", "firstUse": "2024-01-02T00:00:00+00:00", "disclosureVersion": 1, "secret": "short"}""");

        Assert.Null(Store().TryRead("sample"));
        Assert.Equal(HomeFileState.Unusable, Store().ReadFile("sample").State);
    }

    [Fact]
    public void Reset_GivesANewSecret_AndKeepsTheOldInstallsDeletionProof()
    {
        var before = Store().GetOrCreate("sample");

        var after = Store().Reset("sample")!;

        Assert.NotEqual(before.Secret, after.Secret);
        Assert.True(InstallSecret.IsWellFormed(after.Secret));
        var retired = Assert.Single(after.Retired);
        Assert.Equal(new RetiredInstall(before.Install, InstallSecret.DeletionProof(before.Secret!, "sample", before.Install)), retired);
        Assert.DoesNotContain(before.Secret!, File.ReadAllText(_home.IdentityFile("sample")));
        Assert.Equal(after, Store().TryRead("sample"));

        var again = Store().Reset("sample")!;
        Assert.Equal([before.Install, after.Install], again.Retired.Select(r => r.Install));
    }

    [Fact]
    public void Reset_ManyTimes_KeepsTheNewestRetiredInstallsOnly()
    {
        Store().GetOrCreate("sample");
        for (var i = 0; i < IdentityStore.MaxRetired + 3; i++)
        {
            Store().Reset("sample");
        }

        Assert.Equal(IdentityStore.MaxRetired, Store().TryRead("sample")!.Retired.Count);
    }

    [Fact]
    public void Erase_TakesTheSecretWithTheInstallId()
    {
        Store().GetOrCreate("sample");

        Store().Erase("sample");

        Assert.False(File.Exists(_home.IdentityFile("sample")));
        Assert.True(InstallSecret.IsWellFormed(Store().GetOrCreate("sample").Secret));
    }

    [Fact]
    public void Reset_NoIdentity_ReturnsNullAndWritesNothing()
    {
        var files = new RecordingFileSystem();

        Assert.Null(Store(files).Reset("sample"));
        Assert.Empty(files.Changes);
    }

    [Fact]
    public void Erase_DeletesTheProductFolderOnly()
    {
        Store().GetOrCreate("sample");
        Store().GetOrCreate("other");
        Directory.CreateDirectory(_home.SpoolDirectory("sample"));
        File.WriteAllText(Path.Combine(_home.SpoolDirectory("sample"), "e.json"), "{}");

        Store().Erase("sample");

        Assert.False(Directory.Exists(_home.ProductDirectory("sample")));
        Assert.NotNull(Store().TryRead("other"));
    }

    [Fact]
    public void Erase_NothingThere_DoesNothing()
    {
        Store().Erase("sample");

        Assert.False(Directory.Exists(_home.Root));
    }
}
