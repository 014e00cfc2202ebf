using System.CommandLine;
using Candor.CommandLine.Commands;
using Microsoft.Extensions.Time.Testing;

namespace Candor.CommandLine.Tests.Commands;

public sealed class SharedOptionsTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 10, 12, 0, 0, TimeSpan.Zero);

    private static (DateTimeOffset? Value, IReadOnlyList<string> Errors) Since(string text)
    {
        var since = SharedOptions.Since(new FakeTimeProvider(Now));
        var command = new RootCommand { since };
        var result = command.Parse(["--since", text]);
        return (result.Errors.Count == 0 ? result.GetValue(since) : null, [.. result.Errors.Select(e => e.Message)]);
    }

    [Theory]
    [InlineData("30m", "2025-06-10T11:30:00+00:00")]
    [InlineData("24h", "2025-06-09T12:00:00+00:00")]
    [InlineData("7d", "2025-06-03T12:00:00+00:00")]
    [InlineData("7D", "2025-06-03T12:00:00+00:00")]
    [InlineData("2025-06-01", "2025-06-01T00:00:00+00:00")]
    [InlineData("2025-06-01T12:00:00Z", "2025-06-01T12:00:00+00:00")]
    [InlineData("2025-06-01T12:00:00+02:00", "2025-06-01T10:00:00+00:00")]
    public void Since_DateTimeOrAge_IsAnInstant(string text, string expected)
    {
        var (value, errors) = Since(text);

        Assert.Empty(errors);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("7w")]
    [InlineData("-3d")]
    [InlineData("")]
    public void Since_AnythingElse_IsAParseErrorThatSaysWhatIsAccepted(string text)
    {
        var (_, errors) = Since(text);

        Assert.Equal($"'{text}' is not a time: give a date (2025-06-01), a UTC time (2025-06-01T12:00:00Z) or an age (30m, 24h, 7d).", Assert.Single(errors));
    }

    [Theory]
    [InlineData("pack", true)]
    [InlineData("my.tool_2-x", true)]
    [InlineData("Pack", false)]
    [InlineData("../etc", false)]
    [InlineData("", false)]
    public void Product_AcceptsOnlyProductIds(string product, bool valid)
    {
        var option = SharedOptions.Product("p", () => ["pack"]);
        var result = new RootCommand { option }.Parse(["--product", product]);

        Assert.Equal(valid, result.Errors.Count == 0);
    }
}
