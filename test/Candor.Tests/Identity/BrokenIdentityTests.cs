using Candor.Identity;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Identity;

/// <summary>An <c>identity.json</c> (or the product's folder) that cannot be used: set aside and replaced.</summary>
public sealed class BrokenIdentityTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;

    public BrokenIdentityTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
    }

    public void Dispose() => _temp.Dispose();

    private IdentityStore Store() => new(_home, PhysicalFileSystem.Instance);

    [Theory]
    [InlineData(BrokenBytes.InvalidUtf8)]
    [InlineData(BrokenBytes.LoneSurrogate)]
    [InlineData(BrokenBytes.Truncated)]
    public void GetOrCreate_IdentityWithBadBytes_SetsItAsideAndCreatesAFreshOne(string fault)
    {
        var bytes = BrokenBytes.For(fault, "install", "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        Directory.CreateDirectory(_home.ProductDirectory("sample"));
        File.WriteAllBytes(_home.IdentityFile("sample"), bytes);

        Assert.Null(Store().TryRead("sample"));
        Assert.NotNull(Store().ReadFile("sample").Problem);
        var identity = Store().GetOrCreate("sample");

        Assert.Equal(identity, Store().TryRead("sample"));
        Assert.Equal(0, identity.DisclosureVersion);
        Assert.Equal(bytes, File.ReadAllBytes(Assert.Single(BrokenBytes.SetAsideCopies(_home.IdentityFile("sample")))));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("fifo")]
    [InlineData("loop")]
    public void GetOrCreate_SomethingNotAFileInTheIdentitysPlace_SetsItAsideWithoutWaiting(string kind)
    {
        BrokenBytes.MakeNotAFile(kind, _home.IdentityFile("sample"));

        var identity = Bounded.Run(() => Store().GetOrCreate("sample"), "creating the identity");

        Assert.Equal(identity, Store().TryRead("sample"));
        Assert.Single(BrokenBytes.SetAsideCopies(_home.IdentityFile("sample")));
    }

    [Fact]
    public void GetOrCreate_AFileWhereTheProductsFolderBelongs_SetsItAsideAndCreatesTheFolder()
    {
        Directory.CreateDirectory(_home.ProductsDirectory);
        File.WriteAllText(_home.ProductDirectory("sample"), "not a folder");

        var identity = Store().GetOrCreate("sample");

        Assert.Equal(identity, Store().TryRead("sample"));
        Assert.Single(BrokenBytes.SetAsideCopies(_home.ProductDirectory("sample")));
    }

    [Fact]
    public void TryRead_BadBytes_WritesNothing()
    {
        // candor status reads identities: reading never sets anything aside.
        var bytes = BrokenBytes.For(BrokenBytes.InvalidUtf8, "install", "x");
        Directory.CreateDirectory(_home.ProductDirectory("sample"));
        File.WriteAllBytes(_home.IdentityFile("sample"), bytes);

        Assert.Null(Store().TryRead("sample"));

        Assert.Equal(bytes, File.ReadAllBytes(_home.IdentityFile("sample")));
        Assert.Empty(BrokenBytes.SetAsideCopies(_home.IdentityFile("sample")));
    }

    [Fact]
    public void GetOrCreate_OneProductsIdentityBroken_LeavesTheOthersAlone()
    {
        var other = Store().GetOrCreate("other");
        Directory.CreateDirectory(_home.ProductDirectory("sample"));
        File.WriteAllBytes(_home.IdentityFile("sample"), BrokenBytes.For(BrokenBytes.Truncated, "install", "x"));

        Store().GetOrCreate("sample");

        Assert.Equal(other, Store().TryRead("other"));
        Assert.Empty(BrokenBytes.SetAsideCopies(_home.IdentityFile("other")));
    }
}
