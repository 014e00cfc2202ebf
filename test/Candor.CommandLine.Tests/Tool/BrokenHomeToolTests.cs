using System.CommandLine;
using System.Text.Json;
using Candor.Catalog;
using Candor.CommandLine.Inspection;
using Candor.CommandLine.Tests.Support;
using Candor.Delivery;
using Candor.Identity;
using Candor.Manifest;
using Candor.Storage;
using Candor.Tool;

namespace Candor.CommandLine.Tests.Tool;

/// <summary>
/// The <c>candor</c> tool over a home with a broken file: every command runs and returns, <c>status</c> names the file
/// (in place, then set aside once a tool or an upload moved it), and the rest of the home is shown as it is.
/// </summary>
public sealed class BrokenHomeToolTests : IDisposable
{
    private readonly TempHome _home = new();

    // The pack sample as its official build: a source build collects nothing, so it would leave the tool nothing to show.
    private readonly ClosedPort _collector = new();

    public void Dispose()
    {
        _collector.Dispose();
        _home.Dispose();
    }

    private Task<Run> CandorAsync(params string[] args) => Programs.CandorAsync(_home, args);

    private Task<Run> PackAsync(params string[] args) => Programs.OfficialPackAsync(_home, _collector.Environment(), args);

    [Fact]
    public async Task Status_SettingsWithInvalidUtf8_NamesIt_ThenNamesItSetAsideByTheNextRunOfATool()
    {
        await PackAsync("list");
        File.WriteAllBytes(_home.Home.SettingsFile, [.. "{\"level\": \"all"u8, 0xC3, 0x28, .. "\"}"u8]);

        var before = await CandorAsync("status", "--json");
        var pack = await PackAsync("list");
        var after = await CandorAsync("status", "--json");
        var text = await CandorAsync("status");

        Assert.Equal(0, before.ExitCode);
        var inPlace = Assert.Single(Files(before));
        Assert.Equal(("settings.json", "is not UTF-8 text", false), (inPlace.GetProperty("file").GetString(), inPlace.GetProperty("problem").GetString(), inPlace.GetProperty("setAside").GetBoolean()));
        Assert.Equal("off", Product(before).GetProperty("level").GetString());
        Assert.Equal(0, pack.ExitCode);
        var setAside = Assert.Single(Files(after));
        Assert.True(setAside.GetProperty("setAside").GetBoolean());
        Assert.StartsWith(_home.Home.SettingsFile + ".corrupt-", setAside.GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.Equal("off", JsonDocument.Parse(after.Output).RootElement.GetProperty("machineChoice").GetString());
        Assert.Contains("set aside     settings.json, which is not UTF-8 text, on ", text.Output, StringComparison.Ordinal);
        Assert.Contains(": now " + setAside.GetProperty("path").GetString() + "\n", text.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_FolderWhereSettingsBelong_NamesIt_AndAToolRunsAndSetsItAside()
    {
        Directory.CreateDirectory(Path.Combine(_home.Home.SettingsFile, "inside"));

        var before = await CandorAsync("status");
        var pack = await PackAsync("list");
        var after = await CandorAsync("status", "--json");

        Assert.Equal(0, before.ExitCode);
        Assert.Contains("cannot use    settings.json, which is a folder, not a file: " + _home.Home.SettingsFile, before.Output, StringComparison.Ordinal);
        Assert.Equal(0, pack.ExitCode);
        Assert.Equal("settings.json", Assert.Single(Files(after)).GetProperty("file").GetString());
        Assert.True(File.Exists(_home.Home.SettingsFile));
    }

    [Fact]
    public async Task Status_CatalogueWithALoneSurrogate_NamesIt_AndTheNextRunRecordsTheProductAgain()
    {
        await PackAsync("list");
        File.WriteAllText(_home.Home.CatalogFile("pack"), """{"version": 1, "product": "\ud800pack"}""");

        var before = await CandorAsync("status", "--json");
        await PackAsync("list");
        var after = await CandorAsync("status", "--json");

        Assert.Equal(0, before.ExitCode);
        Assert.Equal("catalog/pack.json", Assert.Single(Files(before)).GetProperty("file").GetString());
        Assert.Equal(JsonValueKind.Null, Product(before).GetProperty("level").ValueKind);
        Assert.True(Assert.Single(Files(after)).GetProperty("setAside").GetBoolean());
        Assert.Equal("all", Product(after).GetProperty("level").GetString());
    }

    [Fact]
    public async Task PendingStatusAndSend_NamedPipeInTheSpool_ReturnTheRestAndSendSetsThePipeAside()
    {
        using var collector = new ClosedPort();
        await Programs.OfficialPackAsync(_home, collector.Environment(), "list");
        await Programs.OfficialPackAsync(_home, collector.Environment(), "install", "fmt");
        var pipe = Path.Combine(_home.Home.SpoolDirectory("pack"), Spool.FileName(DateTimeOffset.UtcNow, Guid.NewGuid()));
        Fifo.Make(pipe);

        // Each run is bounded (Programs' deadline): a read that waited on the pipe would fail the test, not hang it.
        var pending = await CandorAsync("pending", "--json");
        var before = await CandorAsync("status", "--json");
        var send = await CandorAsync("send");
        var after = await CandorAsync("status", "--json");

        Assert.Equal(2, JsonDocument.Parse(pending.Output).RootElement.GetArrayLength());
        var inPlace = Assert.Single(Files(before));
        Assert.Equal("products/pack/spool/" + Path.GetFileName(pipe), inPlace.GetProperty("file").GetString());
        Assert.Equal(2, Product(before).GetProperty("events").GetProperty("pending").GetInt32());
        Assert.Equal(1, send.ExitCode);
        Assert.Contains("the last upload failed (connection-failed)", send.Output, StringComparison.Ordinal);
        var setAside = Assert.Single(Files(after));
        Assert.Equal(Path.Combine(_home.Home.CorruptDirectory("pack"), Path.GetFileName(pipe)), setAside.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Send_FolderNamedUploadLock_SetsItAsideSaysTheCollectorIsDownAndStatusNamesIt()
    {
        using var collector = new ClosedPort();
        await Programs.OfficialPackAsync(_home, collector.Environment(), "list");
        await Programs.OfficialPackAsync(_home, collector.Environment(), "list");
        Directory.CreateDirectory(Path.Combine(_home.Home.UploadLock, "inside"));

        var send = await CandorAsync("send");
        var status = await CandorAsync("status", "--json");

        Assert.Equal(1, send.ExitCode);
        Assert.Contains("connection-failed", send.Output, StringComparison.Ordinal);
        var setAside = Assert.Single(Files(status));
        Assert.Equal(("upload.lock", "is a folder, not a file", true), (setAside.GetProperty("file").GetString(), setAside.GetProperty("problem").GetString(), setAside.GetProperty("setAside").GetBoolean()));
    }

    [Fact]
    public async Task Send_UploadLockThatCannotBeSetAside_SaysItIsThisMachinesFilesNotTheCollector()
    {
        var manifest = TelemetryManifest.Parse(TestTool.ManifestJson);
        new IdentityStore(_home.Home, PhysicalFileSystem.Instance).RecordDisclosure("tool", 1);
        new ProductRecordStore(_home.Home, PhysicalFileSystem.Instance).Record(manifest, "1.0.0", "http://127.0.0.1:9/", "test-key");
        new Spool(_home.Home, "tool", PhysicalFileSystem.Instance, TimeProvider.System, new DeliveryOptions(), new DeliveryCounters())
            .TryWrite(Guid.NewGuid(), """{"id":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}"""u8);
        Directory.CreateDirectory(Path.Combine(_home.Home.UploadLock, "inside"));
        var machine = new CandorMachine(new FakeEnvironment().With("CANDOR_HOME", _home.Home.Root), new CannotSetAside(), policyPath: Path.Combine(_home.Root, "policy.json"));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await CandorTool.RunAsync(["send"], machine, new InvocationConfiguration { Output = output, Error = error }, http: () => new NoRequests());

        Assert.Equal(1, exitCode);
        Assert.StartsWith("tool: sent 0 event(s); 1 still wait (a problem with this machine's files, not with the collector: '" + _home.Home.UploadLock + "' is a folder, not a file, and could not be set aside", output.ToString(), StringComparison.Ordinal);
        Assert.True(Directory.Exists(_home.Home.UploadLock));
    }

    private static JsonElement[] Files(Run status) => [.. JsonDocument.Parse(status.Output).RootElement.GetProperty("files").EnumerateArray()];

    private static JsonElement Product(Run status) => Assert.Single(JsonDocument.Parse(status.Output).RootElement.GetProperty("products").EnumerateArray());

    // The real disk, where nothing can be set aside: as a folder that is a mount point, or on a read-only parent.
    private sealed class CannotSetAside : IFileSystem
    {
        private readonly PhysicalFileSystem _inner = PhysicalFileSystem.Instance;

        public void CreatePrivateDirectory(string path) => _inner.CreatePrivateDirectory(path);

        public byte[]? ReadAllBytesOrNull(string path) => _inner.ReadAllBytesOrNull(path);

        public FileContents ReadFile(string path, int maxBytes) => _inner.ReadFile(path, maxBytes);

        public PathKind Kind(string path) => _inner.Kind(path);

        public string? SetAside(string path) => throw new IOException("Device or resource busy");

        public void WriteAtomic(string path, ReadOnlySpan<byte> contents, bool durable) => _inner.WriteAtomic(path, contents, durable);

        public void AppendLines(string path, ReadOnlySpan<byte> contents) => _inner.AppendLines(path, contents);

        public void DeleteFile(string path) => _inner.DeleteFile(path);

        public void DeleteDirectory(string path) => _inner.DeleteDirectory(path);

        public void Move(string from, string to) => _inner.Move(from, to);

        public bool FileExists(string path) => _inner.FileExists(path);

        public IReadOnlyList<string> ListFiles(string directory, string pattern) => _inner.ListFiles(directory, pattern);

        public IReadOnlyList<string> ListDirectories(string directory) => _inner.ListDirectories(directory);

        public long FileLength(string path) => _inner.FileLength(path);

        public DateTimeOffset? LastWriteTime(string path) => _inner.LastWriteTime(path);

        // As the physical lock does: something not a file in the lock's place is set aside first.
        public IDisposable? TryLock(string path)
        {
            if (Kind(path) is PathKind.Folder or PathKind.Other)
            {
                try
                {
                    SetAside(path);
                }
                catch (IOException ex)
                {
                    throw new IOException($"'{path}' is {FileContents.Describe(Kind(path))}, and could not be set aside: {ex.Message}", ex);
                }
            }

            return _inner.TryLock(path);
        }
    }

    private sealed class NoRequests : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no request may be sent while the upload lock cannot be taken");
    }
}
