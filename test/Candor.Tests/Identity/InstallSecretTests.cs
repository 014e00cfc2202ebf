using System.Security.Cryptography;
using Candor.Identity;
using Candor.Privacy;

namespace Candor.Tests.Identity;

public class InstallSecretTests
{
    private static readonly string Secret = InstallSecret.Create();

    [Fact]
    public void Create_Is64LowerCaseHexCharacters_AndNewEachTime()
    {
        Assert.True(InstallSecret.IsWellFormed(Secret));
        Assert.NotEqual(Secret, InstallSecret.Create());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789a")]
    [InlineData("gbcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    public void IsWellFormed_AnythingBut64LowerCaseHex_IsNot(string? value)
    {
        Assert.False(InstallSecret.IsWellFormed(value));
    }

    [Fact]
    public void HashKey_SameSecretAndProduct_IsStable()
    {
        Assert.Equal(InstallSecret.HashKey(Secret, "kmpkg"), InstallSecret.HashKey(Secret, "kmpkg"));
    }

    [Fact]
    public void HashOfOneValue_DiffersBetweenInstallsAndBetweenProducts()
    {
        var here = KeyedHash.Compute(InstallSecret.HashKey(Secret, "kmpkg"), "data.csv");

        Assert.NotEqual(here, KeyedHash.Compute(InstallSecret.HashKey(InstallSecret.Create(), "kmpkg"), "data.csv"));
        Assert.NotEqual(here, KeyedHash.Compute(InstallSecret.HashKey(Secret, "mlnet"), "data.csv"));
    }

    [Fact]
    public void DeletionProof_IsNotTheHashKey_AndDependsOnTheInstall()
    {
        var install = Guid.NewGuid();
        var proof = InstallSecret.DeletionProof(Secret, "kmpkg", install);

        Assert.True(InstallSecret.IsWellFormed(proof));
        Assert.Equal(proof, InstallSecret.DeletionProof(Secret, "kmpkg", install));
        Assert.NotEqual(Convert.ToHexString(InstallSecret.HashKey(Secret, "kmpkg")).ToLowerInvariant(), proof);
        Assert.NotEqual(proof, InstallSecret.DeletionProof(Secret, "kmpkg", Guid.NewGuid()));
        Assert.NotEqual(proof, InstallSecret.DeletionProof(Secret, "mlnet", install));
        Assert.NotEqual(proof, InstallSecret.DeletionProof(InstallSecret.Create(), "kmpkg", install));
    }

    [Fact]
    public void Verifier_IsTheSha256OfTheProofsBytes_AndNotTheProof()
    {
        var proof = InstallSecret.DeletionProof(Secret, "kmpkg", Guid.NewGuid());

        var verifier = InstallSecret.Verifier(proof);

        Assert.True(InstallSecret.IsWellFormed(verifier));
        Assert.NotEqual(proof, verifier);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Convert.FromHexString(proof))).ToLowerInvariant(), verifier);
    }
}
