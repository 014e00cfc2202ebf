using System.Security.Cryptography;
using Candor.Identity;
using static Candor.Identity.MachineHash;

namespace Candor.Tests.Identity;

public class MachineHashTests
{
    private static readonly byte[] Mac = [0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E];

    [Fact]
    public void Compute_Is32LowerCaseHexCharacters()
    {
        var hash = Compute(ProductKey.Derive("kmpkg", null), Mac);

        Assert.Matches("^[0-9a-f]{32}$", hash);
    }

    [Fact]
    public void Compute_SameProductSameMac_IsStable()
    {
        Assert.Equal(Compute(ProductKey.Derive("kmpkg", null), Mac), Compute(ProductKey.Derive("kmpkg", null), Mac));
    }

    [Fact]
    public void Compute_TwoProductsSameMac_CannotBeJoined()
    {
        Assert.NotEqual(Compute(ProductKey.Derive("kmpkg", null), Mac), Compute(ProductKey.Derive("mlnet", null), Mac));
    }

    [Fact]
    public void Compute_DifferentMacs_Differ()
    {
        var key = ProductKey.Derive("kmpkg", null);

        Assert.NotEqual(Compute(key, Mac), Compute(key, [0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0x5F]));
    }

    [Fact]
    public void Compute_NeitherTheRawMacNorItsPlainHashes_Appear()
    {
        var key = ProductKey.Derive("kmpkg", null);
        var hash = Compute(key, Mac);

        Assert.DoesNotContain(Convert.ToHexString(Mac).ToLowerInvariant(), hash);
        Assert.NotEqual(Convert.ToHexString(SHA256.HashData(Mac)).ToLowerInvariant()[..32], hash);
        // Domain-separated from a property hash of the same bytes under the same key.
        Assert.NotEqual(Convert.ToHexString(HMACSHA256.HashData(key, Mac)).ToLowerInvariant()[..32], hash);
    }

    [Fact]
    public void SelectPrimary_SkipsLoopbackDownEmptyAndZeroAddresses()
    {
        byte[] wanted = [2, 2, 2, 2, 2, 2];
        var interfaces = new[]
        {
            new InterfaceInfo("a-lo", IsUp: true, IsLoopback: true, [1, 1, 1, 1, 1, 1]),
            new InterfaceInfo("b-down", IsUp: false, IsLoopback: false, [3, 3, 3, 3, 3, 3]),
            new InterfaceInfo("c-empty", IsUp: true, IsLoopback: false, []),
            new InterfaceInfo("d-zero", IsUp: true, IsLoopback: false, [0, 0, 0, 0, 0, 0]),
            new InterfaceInfo("e-eth", IsUp: true, IsLoopback: false, wanted),
        };

        Assert.Equal(wanted, SelectPrimary(interfaces));
    }

    [Fact]
    public void SelectPrimary_SameInterfacesInAnyOrder_SameChoice()
    {
        var eth0 = new InterfaceInfo("eth0", IsUp: true, IsLoopback: false, [1, 2, 3, 4, 5, 6]);
        var wlan0 = new InterfaceInfo("wlan0", IsUp: true, IsLoopback: false, [6, 5, 4, 3, 2, 1]);

        Assert.Equal(eth0.Address, SelectPrimary([eth0, wlan0]));
        Assert.Equal(eth0.Address, SelectPrimary([wlan0, eth0]));
    }

    [Fact]
    public void SelectPrimary_NoUsableInterface_IsNull()
    {
        Assert.Null(SelectPrimary([new InterfaceInfo("lo", IsUp: true, IsLoopback: true, [1, 2, 3, 4, 5, 6])]));
        Assert.Null(SelectPrimary([]));
    }

    [Fact]
    public void ForThisMachine_IsAHashOrNothing()
    {
        var hash = ForThisMachine(ProductKey.Derive("kmpkg", null));

        if (hash is not null)
        {
            Assert.Matches("^[0-9a-f]{32}$", hash);
            Assert.Equal(hash, ForThisMachine(ProductKey.Derive("kmpkg", null)));
        }
    }
}
