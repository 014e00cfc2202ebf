using Candor.Identity;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Identity;

/// <summary>
/// The hash key and the deletion verifier kept in <c>identity.json</c>, so that a recording run loads no cryptography:
/// always those the secret and install ID give, whatever wrote the file before.
/// </summary>
public sealed class IdentityKeysTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly CandorHome _home;

    public IdentityKeysTests()
    {
        _home = new CandorHome(_temp.Combine("home"));
    }

    public void Dispose() => _temp.Dispose();

    private IdentityStore Store() => new(_home, PhysicalFileSystem.Instance);

    [Fact]
    public void GetOrCreate_KeepsTheKeysTheSecretGives()
    {
        var identity = Store().GetOrCreate("sample");

        AssertKeysMatch(identity, "sample");
        Assert.Equal(identity, Store().TryRead("sample"));
        Assert.Contains(identity.Keys!.Verifier, File.ReadAllText(_home.IdentityFile("sample")));
    }

    [Theory]
    [InlineData("")]
    [InlineData(""", "hashKey": "short", "verifier": "short" """)]
    [InlineData(""", "hashKey": "0000000000000000000000000000000000000000000000000000000000000000" """)]
    public void GetOrCreate_FileWithoutWholeKeys_DerivesThemOnceAndKeepsTheInstall(string keys)
    {
        var install = Guid.NewGuid();
        var secret = InstallSecret.Create();
        Directory.CreateDirectory(_home.ProductDirectory("sample"));
        File.WriteAllText(_home.IdentityFile("sample"), $$"""{"install": "{{install}}", "firstUse": "2024-01-02T00:00:00+00:00", "disclosureVersion": 1, "secret": "{{secret}}"{{keys}}}""");

        var upgraded = Store().GetOrCreate("sample");

        Assert.Equal(install, upgraded.Install);
        Assert.Equal(secret, upgraded.Secret);
        AssertKeysMatch(upgraded, "sample");
        Assert.Equal(upgraded, Store().TryRead("sample"));
        var written = File.GetLastWriteTimeUtc(_home.IdentityFile("sample"));
        Assert.Equal(upgraded, Store().GetOrCreate("sample"));
        Assert.Equal(written, File.GetLastWriteTimeUtc(_home.IdentityFile("sample")));
    }

    [Fact]
    public void Reset_DerivesTheKeysOfTheNewSecretAndInstall()
    {
        var before = Store().GetOrCreate("sample");

        var after = Store().Reset("sample")!;

        AssertKeysMatch(after, "sample");
        Assert.NotEqual(before.Keys!.HashKey, after.Keys!.HashKey);
        Assert.NotEqual(before.Keys.Verifier, after.Keys.Verifier);
        var file = File.ReadAllText(_home.IdentityFile("sample"));
        Assert.DoesNotContain(before.Keys.HashKey, file);
        Assert.DoesNotContain(before.Keys.Verifier, file);
    }

    [Fact]
    public void RecordDisclosure_KeepsTheKeys()
    {
        var before = Store().GetOrCreate("sample");

        var after = Store().RecordDisclosure("sample", 3);

        Assert.Equal(before.Keys, after.Keys);
        AssertKeysMatch(after, "sample");
    }

    [Fact]
    public void AnIdentityWithoutKeptKeys_DerivesTheSameValues()
    {
        var kept = Store().GetOrCreate("sample");
        var bare = kept with { Keys = null };

        Assert.Equal(kept.HashKey("sample"), bare.HashKey("sample"));
        Assert.Equal(kept.Verifier("sample"), bare.Verifier("sample"));
    }

    private static void AssertKeysMatch(InstallIdentity identity, string product)
    {
        Assert.NotNull(identity.Keys);
        Assert.Equal(InstallSecret.HashKey(identity.Secret!, product), identity.HashKey(product));
        Assert.Equal(InstallSecret.Verifier(InstallSecret.DeletionProof(identity.Secret!, product, identity.Install)), identity.Verifier(product));
    }
}
