using Candor.Consent;

namespace Candor.Tests.Consent;

public class TelemetryLevelTextTests
{
    [Theory]
    [InlineData("off", TelemetryLevel.Off)]
    [InlineData("LOCAL", TelemetryLevel.Local)]
    [InlineData(" Errors ", TelemetryLevel.Errors)]
    [InlineData("all", TelemetryLevel.All)]
    public void TryParse_KnownWordInAnyCase_GivesLevel(string text, TelemetryLevel expected)
    {
        Assert.True(TelemetryLevelText.TryParse(text, out var level));
        Assert.Equal(expected, level);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("on")]
    [InlineData("1")]
    [InlineData("everything")]
    public void TryParse_AnythingElse_FailsAsOff(string? text)
    {
        Assert.False(TelemetryLevelText.TryParse(text, out var level));
        Assert.Equal(TelemetryLevel.Off, level);
    }

    [Fact]
    public void ToText_EveryLevel_RoundTrips()
    {
        foreach (var level in Enum.GetValues<TelemetryLevel>())
        {
            Assert.True(TelemetryLevelText.TryParse(TelemetryLevelText.ToText(level), out var back));
            Assert.Equal(level, back);
        }
    }
}
