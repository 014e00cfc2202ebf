using Candor.Catalog;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Catalog;

/// <summary>A <c>catalog/{id}.json</c> that cannot be used: never thrown, set aside by the product's next record.</summary>
public sealed class BrokenCatalogTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;

    public BrokenCatalogTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
    }

    public void Dispose() => _temp.Dispose();

    private ProductRecordStore Store() => new(_home, PhysicalFileSystem.Instance);

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public void Record_CatalogWithBadBytes_SetsItAsideAndWritesItAgain(string fault)
    {
        var bytes = BrokenBytes.For(fault, "product", "sample");
        Directory.CreateDirectory(_home.CatalogDirectory);
        File.WriteAllBytes(_home.CatalogFile("sample"), bytes);

        Assert.Null(Store().TryRead("sample"));
        var recorded = Store().Record(Manifests.Sample(), "1.0.0", "https://collector.example/", "key");

        Assert.True(recorded);
        Assert.Equal("sample", Store().TryRead("sample")?.Manifest?.Product);
        Assert.Equal(bytes, File.ReadAllBytes(Assert.Single(BrokenBytes.SetAsideCopies(_home.CatalogFile("sample")))));
        Assert.Equal(["sample"], Store().List());
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("fifo")]
    public void Record_SomethingNotAFileInTheRecordsPlace_SetsItAsideWithoutWaiting(string kind)
    {
        BrokenBytes.MakeNotAFile(kind, _home.CatalogFile("sample"));

        Assert.True(Bounded.Run(() => Store().Record(Manifests.Sample(), "1.0.0", null, null), "recording the product"));

        Assert.NotNull(Store().TryRead("sample"));
    }

    [Fact]
    public void Record_AFileWhereTheCatalogueFolderBelongs_SetsItAsideAndRecords()
    {
        Directory.CreateDirectory(_home.Root);
        File.WriteAllText(_home.CatalogDirectory, "not a folder");

        Assert.True(Store().Record(Manifests.Sample(), "1.0.0", null, null));

        Assert.NotNull(Store().TryRead("sample"));
        Assert.Single(BrokenBytes.SetAsideCopies(_home.CatalogDirectory));
    }

    [Fact]
    public void TryRead_AnotherProductsCatalogueBroken_LeavesThisOneReadable()
    {
        Store().Record(Manifests.Sample(), "1.0.0", null, null);
        File.WriteAllBytes(_home.CatalogFile("other"), BrokenBytes.For(BrokenBytes.InvalidUtf8, "product", "other"));

        Assert.NotNull(Store().TryRead("sample"));
        Assert.Null(Store().TryRead("other"));
        Assert.Equal(["other", "sample"], Store().List());
        Assert.Empty(BrokenBytes.SetAsideCopies(_home.CatalogFile("other")));
    }
}
