using System.Text;
using Candor.Json;
using CsCheck;

namespace Candor.Tests.Json;

public sealed class GuidTextTests
{
    public static TheoryData<string> Guids() => new()
    {
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "0123abcd-4567-89ef-0a1b-2c3d4e5f6071",
        Guid.NewGuid().ToString(),
    };

    [Theory]
    [MemberData(nameof(Guids))]
    public void Format_WithDashes_IsTheRuntimesDLayout(string text)
    {
        var id = Guid.Parse(text);
        var bytes = new byte[GuidText.MaxLength];

        var written = GuidText.Format(id, bytes, dashes: true);

        Assert.Equal(id.ToString("D"), Encoding.ASCII.GetString(bytes, 0, written));
    }

    [Fact]
    public void FormatVectorised_AnyGuid_WritesWhatFormatWrites()
    {
        Gen.Guid.Sample(id =>
        {
            var digitByDigit = new byte[GuidText.MaxLength];
            var vectorised = new byte[GuidText.MaxLength];

            Assert.Equal(GuidText.Format(id, digitByDigit, dashes: true), GuidText.FormatVectorised(id, vectorised));
            Assert.Equal(digitByDigit, vectorised);
        });
    }

    [Theory]
    [MemberData(nameof(Guids))]
    public void Digits_IsTheRuntimesNLayout(string text)
    {
        var id = Guid.Parse(text);

        Assert.Equal(id.ToString("N"), GuidText.Digits(id));
    }
}
