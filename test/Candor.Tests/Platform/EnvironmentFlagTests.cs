using Candor.Platform;
using CsCheck;

namespace Candor.Tests.Platform;

public sealed class EnvironmentFlagTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("  ", false)]
    [InlineData("0", false)]
    [InlineData(" false ", false)]
    [InlineData("FALSE", false)]
    [InlineData("No", false)]
    [InlineData("oFF", false)]
    [InlineData("N", false)]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("00", true)]
    [InlineData("nope", true)]
    [InlineData("\u0010", true)]
    [InlineData("ＯＦＦ", true)]
    [InlineData("of", true)]
    public void IsSet_Value_FollowsTheRule(string? value, bool set) => Assert.Equal(set, EnvironmentFlag.IsSet(value));

    [Fact]
    public void IsSet_AnyValue_IsTheDocumentedRule()
    {
        // The words in every case, padded; near misses (one character moved out of the letters); any text.
        var word = Gen.OneOf<string>("0", "false", "no", "off", "n", "true", "1", "of", "nO", "oFf");
        var recased = word.SelectMany(w => Gen.Bool.Array[w.Length].Select(upper =>
            new string(w.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : c).ToArray())));
        var nudged = word.SelectMany(w => Gen.Int[0, Math.Max(0, w.Length - 1)].Select(i =>
            w.Length == 0 ? w : w[..i] + (char)(w[i] ^ 0x40) + w[(i + 1)..]));
        var padded = Gen.Select(Gen.OneOf(recased, nudged, Gen.String), Gen.OneOf<string>("", " ", "\t", " \n"), (v, pad) => pad + v + pad);

        padded.Sample(value => Assert.Equal(Rule(value), EnvironmentFlag.IsSet(value)));
    }

    // The rule as docs/consent.md words it.
    private static bool Rule(string value)
    {
        var v = value.Trim();
        return v.Length > 0 && v != "0" && !new[] { "false", "no", "off", "n" }.Any(w => string.Equals(v, w, StringComparison.OrdinalIgnoreCase));
    }
}
