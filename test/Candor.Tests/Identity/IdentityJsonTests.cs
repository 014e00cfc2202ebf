using System.Text;
using System.Text.Json;
using Candor.Identity;
using Candor.Tests.Support;

namespace Candor.Tests.Identity;

public sealed class IdentityJsonTests
{
    private static readonly InstallIdentity Identity = new(Guid.Parse("0b5a7c1e-3f2d-4e6b-9a8c-1d2e3f4a5b6c"), new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), 2);

    [Fact]
    public void Write_IsByteForByteWhatTheSerializerWrote()
    {
        var document = new SerializerIdentityDocument { Install = Identity.Install, FirstUse = Identity.FirstUse, DisclosureVersion = Identity.DisclosureVersion };

        Assert.Equal(
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(document, SerializerIdentityContext.Default.SerializerIdentityDocument)),
            Encoding.UTF8.GetString(IdentityJson.Write(Identity)));
    }

    [Fact]
    public void Read_WhatWriteWrote_RoundTrips()
    {
        Assert.Equal(Identity, IdentityJson.Read(IdentityJson.Write(Identity)));
    }

    [Fact]
    public void Read_WhatWriteWroteWithASecretAndRetiredInstalls_RoundTrips()
    {
        var identity = Identity with
        {
            Secret = InstallSecret.Create(),
            Retired = [new RetiredInstall(Guid.NewGuid(), InstallSecret.Create()), new RetiredInstall(Guid.NewGuid(), InstallSecret.Create())],
        };

        Assert.Equal(identity, IdentityJson.Read(IdentityJson.Write(identity)));
        Assert.NotEqual(identity, IdentityJson.Read(IdentityJson.Write(identity with { Retired = identity.Retired.Take(1).ToList() })));
    }

    [Theory]
    [InlineData("""{"install": "0b5a7c1e-3f2d-4e6b-9a8c-1d2e3f4a5b6c", "retired": {}}""")]
    [InlineData("""{"install": "0b5a7c1e-3f2d-4e6b-9a8c-1d2e3f4a5b6c", "retired": [{"install": "0b5a7c1e-3f2d-4e6b-9a8c-1d2e3f4a5b6c"}]}""")]
    [InlineData("""{"install": "0b5a7c1e-3f2d-4e6b-9a8c-1d2e3f4a5b6c", "retired": [{"deletionProof": "00"}]}""")]
    public void Read_RetiredInstallsOfTheWrongShape_AreMalformed(string json)
    {
        Assert.Throws<JsonException>(() => IdentityJson.Read(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Read_UnknownMembersAndAnyOrder_AreIgnored()
    {
        var json = """{"disclosureVersion": 2, "extra": {"nested": [1, 2]}, "firstUse": "2025-01-02T03:04:05.678+00:00", "install": "0b5a7c1e-3f2d-4e6b-9a8c-1d2e3f4a5b6c", "later": null}""";

        Assert.Equal(Identity, IdentityJson.Read(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Read_MissingMembers_AreDefaults_AndJsonNullIsNoIdentity()
    {
        Assert.Equal(new InstallIdentity(Guid.Empty, default, 0), IdentityJson.Read("{}"u8));
        Assert.Null(IdentityJson.Read("null"u8));
    }

    [Theory]
    [InlineData("{\"install\": \"0b5a7c1e-3f2d")]
    [InlineData("{\"install\": \"not a guid\"}")]
    [InlineData("{\"install\": null}")]
    [InlineData("{\"firstUse\": 5}")]
    [InlineData("{\"disclosureVersion\": \"2\"}")]
    [InlineData("{\"disclosureVersion\": 99999999999}")]
    [InlineData("{} x")]
    [InlineData("{/* no comments */}")]
    public void Read_CorruptFile_ThrowsJsonExceptionAsTheSerializerDid(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bytes, SerializerIdentityContext.Default.SerializerIdentityDocument));

        Assert.ThrowsAny<JsonException>(() => IdentityJson.Read(bytes));
    }
}
