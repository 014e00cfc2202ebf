using Candor.Privacy;

namespace Candor.Tests.Privacy;

public class KeyedHashTests
{
    [Fact]
    public void Compute_IsThirtyTwoLowerHexAndDependsOnKey()
    {
        var a = KeyedHash.Compute("key-a"u8, "value");
        var b = KeyedHash.Compute("key-b"u8, "value");

        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.NotEqual(a, b);
        Assert.Equal(a, KeyedHash.Compute("key-a"u8, "value"));
    }

    [Fact]
    public void Compute_LongValue_IsHashedWithoutTruncation()
    {
        var longA = new string('a', 10_000) + "1";
        var longB = new string('a', 10_000) + "2";

        Assert.NotEqual(KeyedHash.Compute("k"u8, longA), KeyedHash.Compute("k"u8, longB));
    }
}
