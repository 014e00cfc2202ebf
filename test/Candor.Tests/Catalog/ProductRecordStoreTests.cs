using Candor.Catalog;
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
    public void Record_SameManifestInAnotherLayout_WritesNothing()
    {
        // A record whose manifest holds the same value spelled differently (compact, with escapes) is current.
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
