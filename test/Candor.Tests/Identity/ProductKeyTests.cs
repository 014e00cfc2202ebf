using Candor.Identity;

namespace Candor.Tests.Identity;

public class ProductKeyTests
{
    [Fact]
    public void Derive_SameInputs_SameKey()
    {
        Assert.Equal(ProductKey.Derive("kmpkg", "s3cret"), ProductKey.Derive("kmpkg", "s3cret"));
    }

    [Fact]
    public void Derive_Is32Bytes()
    {
        Assert.Equal(32, ProductKey.Derive("kmpkg", null).Length);
    }

    [Fact]
    public void Derive_DifferentProducts_DifferentKeys()
    {
        Assert.NotEqual(ProductKey.Derive("kmpkg", null), ProductKey.Derive("mlnet", null));
    }

    [Fact]
    public void Derive_DifferentSecrets_DifferentKeys()
    {
        Assert.NotEqual(ProductKey.Derive("kmpkg", "a"), ProductKey.Derive("kmpkg", "b"));
        Assert.NotEqual(ProductKey.Derive("kmpkg", "a"), ProductKey.Derive("kmpkg", null));
    }

    [Fact]
    public void Derive_NoSecretAndEmptySecret_AreTheSame()
    {
        Assert.Equal(ProductKey.Derive("kmpkg", null), ProductKey.Derive("kmpkg", ""));
    }

    [Fact]
    public void Derive_ProductAndSecretCannotBeShiftedIntoEachOther()
    {
        Assert.NotEqual(ProductKey.Derive("ab", "c"), ProductKey.Derive("a", "bc"));
    }
}
