using System.Text;
using Candor.Json;
using CsCheck;

namespace Candor.Tests.Json;

public sealed class Utf8TextTests
{
    [Fact]
    public void Decode_AnyBytes_IsWhatTheRuntimesDecoderMakesOfThem()
    {
        // ASCII, the common case, on and past the stack's length; and any bytes at all, malformed UTF-8 included.
        var ascii = Gen.Byte[0, 0x7F].Array[0, 600];
        var any = Gen.Byte.Array[0, 600];
        Gen.OneOf(ascii, any).Sample(bytes => Assert.Equal(Encoding.UTF8.GetString(bytes), Utf8Text.Decode(bytes)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("CANDOR_EXIT_BENCH_OPTOUT")]
    [InlineData("Telemetry is on — opt out with DO_NOT_TRACK=1.")]
    [InlineData("日本 😀")]
    public void Decode_Text_RoundTrips(string text) =>
        Assert.Equal(text, Utf8Text.Decode(Encoding.UTF8.GetBytes(text)));
}
