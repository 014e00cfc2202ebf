using Candor.Consent;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Consent;

/// <summary>
/// A <c>settings.json</c> that cannot be read, shared by every Candor tool of the user: the tool runs, telemetry is
/// off (the file may have held an opt-out), the file is set aside and replaced by one that says off.
/// </summary>
public sealed class BrokenSettingsTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FakeEnvironment _environment = new();
    private readonly CandorHome _home;

    public BrokenSettingsTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
        _environment.With(CandorHome.Variable, _home.Root);
    }

    public void Dispose() => _temp.Dispose();

    private ConsentGate Gate(IFileSystem? files = null) =>
        new(_environment, files ?? PhysicalFileSystem.Instance, policyPath: _temp.Combine("policy.json"), disclosureOutput: TextWriter.Null);

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public void Open_SettingsWithBadBytes_IsOffSetsTheFileAsideAndLeavesOneThatSaysOff(string fault)
    {
        var bytes = BrokenBytes.For(fault, "level", "all");
        Directory.CreateDirectory(_home.Root);
        File.WriteAllBytes(_home.SettingsFile, bytes);

        var outcome = Gate().Open(Manifests.Sample());

        Assert.Equal(TelemetryLevel.Off, outcome.Decision.Level);
        Assert.Equal(ConsentSource.UserMachine, outcome.Decision.Source);
        Assert.StartsWith("settings.json ", outcome.Decision.Detail, StringComparison.Ordinal);
        Assert.Null(outcome.Identity);
        Assert.Equal(bytes, File.ReadAllBytes(Assert.Single(BrokenBytes.SetAsideCopies(_home.SettingsFile))));
        Assert.Equal("off", new SettingsStore(_home, PhysicalFileSystem.Instance).Read().MachineLevel);
        Assert.False(Directory.Exists(_home.ProductsDirectory));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("fifo")]
    [InlineData("loop")]
    public void Open_SomethingNotAFileInTheSettingsPlace_IsOffWithoutWaitingAndSetsItAside(string kind)
    {
        BrokenBytes.MakeNotAFile(kind, _home.SettingsFile);

        var outcome = Bounded.Run(() => Gate().Open(Manifests.Sample()), "resolving consent");

        Assert.Equal(TelemetryLevel.Off, outcome.Decision.Level);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.SettingsFile));
        Assert.Equal(PathKind.File, PhysicalFileSystem.Instance.Kind(_home.SettingsFile));
        Assert.Equal("off", new SettingsStore(_home, PhysicalFileSystem.Instance).Read().MachineLevel);
    }

    [Fact]
    public void Open_HugeSettings_IsOffAndSetAsideWithoutBeingRead()
    {
        // Larger than Candor ever writes: read in full, a runaway file would cost every tool its memory.
        Directory.CreateDirectory(_home.Root);
        using (var huge = File.Create(_home.SettingsFile))
        {
            huge.SetLength(HomeFiles.MaxStateBytes + 1);
        }

        var outcome = Gate().Open(Manifests.Sample());

        Assert.Equal(TelemetryLevel.Off, outcome.Decision.Level);
        Assert.Contains("larger than", outcome.Decision.Detail, StringComparison.Ordinal);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.SettingsFile));
    }

    [Fact]
    public void Open_SettingsBrokenWhileAVariableOptsOut_TouchesNoFile()
    {
        // An opt-out run writes nothing, not even the repair: the next run that reads the file does it.
        Directory.CreateDirectory(_home.Root);
        File.WriteAllBytes(_home.SettingsFile, BrokenBytes.For(BrokenBytes.InvalidUtf8, "level", "off"));
        _environment.With("DO_NOT_TRACK", "1");
        var files = new RecordingFileSystem();

        var outcome = Gate(files).Open(Manifests.Sample());

        Assert.Equal(ConsentSource.DoNotTrack, outcome.Decision.Source);
        Assert.Empty(files.Changes);
        Assert.Empty(BrokenBytes.SetAsideCopies(_home.SettingsFile));
    }

    [Fact]
    public void Open_SettingsBrokenWhileCandorTelemetryTurnsItOn_RecordsAndLeavesOffForLaterRuns()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllBytes(_home.SettingsFile, BrokenBytes.For(BrokenBytes.Truncated, "level", "off"));
        new Candor.Identity.IdentityStore(_home, PhysicalFileSystem.Instance).RecordDisclosure("sample", 1);
        _environment.With("CANDOR_TELEMETRY", "all");

        var outcome = Gate().Open(Manifests.Sample());
        _environment.With("CANDOR_TELEMETRY", "");
        var later = Gate().Open(Manifests.Sample());

        Assert.Equal(ConsentSource.CandorVariable, outcome.Decision.Source);
        Assert.NotNull(outcome.Identity);
        Assert.Single(BrokenBytes.SetAsideCopies(_home.SettingsFile));
        Assert.Equal(TelemetryLevel.Off, later.Decision.Level);
        Assert.Equal("settings.json: level = off", later.Decision.Detail);
    }

    [Fact]
    public void Open_SettingsThatCannotBeReadNow_IsOffAndLeftWhereItIs()
    {
        // No permission or an I/O error may pass, and the file may hold an opt-out: it is neither used nor moved.
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, """{"level": "all"}""");
        var outcome = Gate(new OneFileUnreadable(_home.SettingsFile)).Open(Manifests.Sample());

        Assert.Equal(TelemetryLevel.Off, outcome.Decision.Level);
        Assert.Contains("cannot be read", outcome.Decision.Detail, StringComparison.Ordinal);
        Assert.Empty(BrokenBytes.SetAsideCopies(_home.SettingsFile));
        Assert.Equal("""{"level": "all"}""", File.ReadAllText(_home.SettingsFile));
    }

    [Fact]
    public void SetLevel_OverBrokenSettings_TurnsOnlyThatProductOn()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllBytes(_home.SettingsFile, BrokenBytes.For(BrokenBytes.LoneSurrogate, "level", "off"));
        var settings = new CandorSettings(_home, PhysicalFileSystem.Instance);

        Assert.Equal(TelemetryLevel.Off, settings.GetLevel());
        settings.SetLevel(TelemetryLevel.All, "kmpkg");

        Assert.Equal(TelemetryLevel.All, settings.GetLevel("kmpkg"));
        Assert.Equal(TelemetryLevel.Off, settings.GetLevel());
        Assert.Single(BrokenBytes.SetAsideCopies(_home.SettingsFile));
    }

    [Fact]
    public void Read_UnknownMemberWithALoneSurrogate_IsUnreadableRatherThanFailingTheNextWrite()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.SettingsFile, """{"level": "all", "future": {"note": "\udc00"}}""");

        var snapshot = new SettingsStore(_home, PhysicalFileSystem.Instance).Read();

        Assert.NotNull(snapshot.Problem);
        Assert.Null(snapshot.MachineLevel);
    }

    // The real disk, but reading one file fails as a file without read permission does (root ignores permissions).
    private sealed class OneFileUnreadable(string path) : IFileSystem
    {
        private readonly PhysicalFileSystem _inner = PhysicalFileSystem.Instance;

        public void CreatePrivateDirectory(string directory) => _inner.CreatePrivateDirectory(directory);

        public byte[]? ReadAllBytesOrNull(string file) => file == path ? throw new UnauthorizedAccessException("denied") : _inner.ReadAllBytesOrNull(file);

        public FileContents ReadFile(string file, int maxBytes) => file == path ? throw new UnauthorizedAccessException("denied") : _inner.ReadFile(file, maxBytes);

        public PathKind Kind(string file) => _inner.Kind(file);

        public string? SetAside(string file) => _inner.SetAside(file);

        public void WriteAtomic(string file, ReadOnlySpan<byte> contents, bool durable) => _inner.WriteAtomic(file, contents, durable);

        public void AppendLines(string file, ReadOnlySpan<byte> contents) => _inner.AppendLines(file, contents);

        public void DeleteFile(string file) => _inner.DeleteFile(file);

        public void DeleteDirectory(string directory) => _inner.DeleteDirectory(directory);

        public void Move(string from, string to) => _inner.Move(from, to);

        public bool FileExists(string file) => _inner.FileExists(file);

        public IReadOnlyList<string> ListFiles(string directory, string pattern) => _inner.ListFiles(directory, pattern);

        public IReadOnlyList<string> ListDirectories(string directory) => _inner.ListDirectories(directory);

        public long FileLength(string file) => _inner.FileLength(file);

        public DateTimeOffset? LastWriteTime(string file) => _inner.LastWriteTime(file);

        public IDisposable? TryLock(string file) => _inner.TryLock(file);
    }
}
