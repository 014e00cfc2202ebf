using System.Text.Json.Nodes;
using Candor.Catalog;
using CsCheck;
using Candor.Manifest;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Catalog;

public sealed class ProductRecordStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;
    private readonly TelemetryManifest _manifest = TelemetryManifest.Parse(Some.ManifestJson);

    public ProductRecordStoreTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
    }

    public void Dispose() => _temp.Dispose();

    private ProductRecordStore Store(IFileSystem? files = null) => new(_home, files ?? PhysicalFileSystem.Instance);

    [Fact]
    public void Record_ThenTryRead_GivesManifestVersionAndCollector()
    {
        Assert.True(Store().Record(_manifest, "1.4.2", "https://collector.example/", "key-123"));

        var record = Store().TryRead("sample");

        Assert.NotNull(record);
        Assert.Equal("sample", record.Product);
        Assert.Equal("1.4.2", record.ProductVersion);
        Assert.Equal("https://collector.example/", record.Endpoint);
        Assert.Equal("key-123", record.IngestionKey);
        Assert.Equal(_manifest.Events.Select(e => e.Name), record.Manifest!.Events.Select(e => e.Name));
        Assert.Equal(["sample"], Store().List());
    }

    [Fact]
    public void Record_Unchanged_WritesNothing()
    {
        Store().Record(_manifest, "1.4.2", null, null);
        var files = new RecordingFileSystem();

        Assert.True(Store(files).Record(_manifest, "1.4.2", null, null));

        Assert.Empty(files.Changes);
    }

    [Fact]
    public void Record_RespelledRecordThatKeepsItsStamp_WritesNothing()
    {
        // A record whose stamp is current is current, whatever its layout (compact, with escapes).
        Store().Record(_manifest, "1.4.2", null, null);
        var path = _home.CatalogFile("sample");
        var respelled = File.ReadAllText(path).Replace("\"sample\"", "\"\\u0073ample\"", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        File.WriteAllText(path, respelled);
        var files = new RecordingFileSystem();

        Assert.True(Store(files).Record(_manifest, "1.4.2", null, null));

        Assert.Empty(files.Changes);
        Assert.Equal(respelled, File.ReadAllText(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("{\"version\":1,\"product\":\"sample\",\"productVersion\":\"1.4.2\"}")]
    public void Record_CorruptOrIncompleteRecord_IsWrittenAgain(string contents)
    {
        Directory.CreateDirectory(_home.CatalogDirectory);
        File.WriteAllText(_home.CatalogFile("sample"), contents);

        Assert.True(Store().Record(_manifest, "1.4.2", null, null));

        Assert.Equal(_manifest.Events.Select(e => e.Name), Store().TryRead("sample")!.Manifest!.Events.Select(e => e.Name));
    }

    [Fact]
    public void Record_RecordWrittenBeforeStamps_IsWrittenAgainOnceWithItsStamp()
    {
        // What an SDK without stamps wrote: the same record, without the "stamp" member.
        Store().Record(_manifest, "1.4.2", "https://collector.example/", "key-123");
        var path = _home.CatalogFile("sample");
        var unstamped = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        unstamped.Remove("stamp");
        File.WriteAllText(path, unstamped.ToJsonString());

        Assert.True(Store().Record(_manifest, "1.4.2", "https://collector.example/", "key-123"));

        Assert.Contains("\"stamp\": \"", File.ReadAllText(path), StringComparison.Ordinal);
        var files = new RecordingFileSystem();
        Assert.True(Store(files).Record(_manifest, "1.4.2", "https://collector.example/", "key-123"));
        Assert.Empty(files.Changes);
    }

    [Fact]
    public void Record_StampEditedByHand_Rewrites()
    {
        Store().Record(_manifest, "1.4.2", null, null);
        var path = _home.CatalogFile("sample");
        var stamp = JsonNode.Parse(File.ReadAllText(path))!["stamp"]!.GetValue<string>();
        File.WriteAllText(path, File.ReadAllText(path).Replace(stamp, new string('0', 16), StringComparison.Ordinal));

        Store().Record(_manifest, "1.4.2", null, null);

        Assert.Contains(stamp, File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Record_AnyChangeOfWhatItHolds_Rewrites()
    {
        // Every change of version, collector, key or manifest gives another stamp, so the record is written again; a
        // key without a collector is not kept, so it changes nothing.
        var manifests = new[] { _manifest, TelemetryManifest.Parse(Some.ManifestJson.Replace("\"revision\": 1", "\"revision\": 2", StringComparison.Ordinal)) };
        var text = Gen.OneOf(Gen.Const((string?)null), Gen.Const<string?>(""), Gen.String[Gen.Char.AlphaNumeric, 0, 3].Select(s => (string?)s));
        var inputs = Gen.Select(Gen.Int[0, 1], text, text, text);
        Gen.Select(inputs, inputs).Sample((before, after) =>
        {
            using var temp = new TempFolder();
            var store = new ProductRecordStore(new CandorHome(temp.Combine("home")), PhysicalFileSystem.Instance);
            Assert.True(store.Record(manifests[before.Item1], before.Item2, Endpoint(before.Item3), before.Item4));
            var files = new RecordingFileSystem();

            Assert.True(new ProductRecordStore(new CandorHome(temp.Combine("home")), files).Record(manifests[after.Item1], after.Item2, Endpoint(after.Item3), after.Item4));

            var same = before.Item1 == after.Item1 && before.Item2 == after.Item2 && Endpoint(before.Item3) == Endpoint(after.Item3)
                && (string.IsNullOrEmpty(before.Item3) ? null : NullIfEmpty(before.Item4)) == (string.IsNullOrEmpty(after.Item3) ? null : NullIfEmpty(after.Item4));
            Assert.Equal(same, files.Changes.Count == 0);
            var read = store.TryRead("sample")!;
            Assert.Equal(after.Item2, read.ProductVersion);
            Assert.Equal(manifests[after.Item1].Revision, read.Manifest!.Revision);
        }, iter: 60);

        static string? Endpoint(string? host) => string.IsNullOrEmpty(host) ? null : $"https://{host}.example/";
        static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
    }

    [Fact]
    public void Record_ChangedManifest_Rewrites()
    {
        Store().Record(_manifest, "1.4.2", null, null);
        var changed = TelemetryManifest.Parse(Some.ManifestJson.Replace("\"revision\": 1", "\"revision\": 7", StringComparison.Ordinal));

        Store().Record(changed, "1.4.2", null, null);

        Assert.Equal(7, Store().TryRead("sample")!.Manifest!.Revision);
    }

    [Fact]
    public void Record_NewVersion_Rewrites()
    {
        Store().Record(_manifest, "1.4.2", null, null);

        Store().Record(_manifest, "1.5.0", null, null);

        Assert.Equal("1.5.0", Store().TryRead("sample")!.ProductVersion);
    }

    [Fact]
    public void Record_PrivateBuild_KeepsNeitherEndpointNorKey()
    {
        Store().Record(_manifest, "1.0.0", endpoint: null, ingestionKey: "key-without-endpoint");

        var record = Store().TryRead("sample")!;

        Assert.Null(record.Endpoint);
        Assert.Null(record.IngestionKey);
        Assert.DoesNotContain("key-without-endpoint", File.ReadAllText(_home.CatalogFile("sample")), StringComparison.Ordinal);
    }

    [Fact]
    public void Record_ManifestWithComments_IsKeptAsReadableJson()
    {
        var commented = TelemetryManifest.Parse("// the tool's manifest\n" + Some.ManifestJson);

        Store().Record(commented, "1.0.0", null, null);

        Assert.NotNull(Store().TryRead("sample")!.Manifest);
    }

    [Fact]
    public void Record_HomeUnderARegularFile_ReturnsFalseWithoutThrowing()
    {
        File.WriteAllText(_temp.Combine("file"), "x");
        var store = new ProductRecordStore(new CandorHome(_temp.Combine("file", "home")), PhysicalFileSystem.Instance);

        Assert.False(store.Record(_manifest, "1.0.0", null, null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{\"product\":\"other\"}")]
    public void TryRead_CorruptOrForeignFile_IsNull(string contents)
    {
        Directory.CreateDirectory(_home.CatalogDirectory);
        File.WriteAllText(_home.CatalogFile("sample"), contents);

        Assert.Null(Store().TryRead("sample"));
    }

    [Fact]
    public void TryRead_UnreadableManifest_KeepsTheCollector()
    {
        Directory.CreateDirectory(_home.CatalogDirectory);
        File.WriteAllText(_home.CatalogFile("sample"), """{"product":"sample","endpoint":"https://c.example/","ingestionKey":"k","manifest":{"product":"sample"}}""");

        var record = Store().TryRead("sample")!;

        Assert.Null(record.Manifest);
        Assert.Equal("https://c.example/", record.Endpoint);
    }

    [Fact]
    public void List_SkipsFilesThatAreNotProductIds()
    {
        Store().Record(_manifest, "1.0.0", null, null);
        File.WriteAllText(Path.Combine(_home.CatalogDirectory, "Not A Product.json"), "{}");

        Assert.Equal(["sample"], Store().List());
    }
}
