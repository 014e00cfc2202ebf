using Candor.Collector.Dashboard;
using Candor.Collector.Query;
using Candor.Collector.Tests;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Dashboard.Tests;

/// <summary>
/// The page's words on the low-count filter must be true of the filter the query API applies: the sizes it calls
/// always hidden are never shown and those it calls always shown always are, whatever the noise.
/// </summary>
public sealed class SmallGroupsTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("2.5")]
    public async Task AlwaysHiddenAndAlwaysShown_HoldForTheFilterTheQueryApiApplies(string threshold)
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Query:Noise:Threshold"] = threshold });
        var noise = collector.Services.GetRequiredService<FigureNoise>();
        var deviation = noise.Description.Threshold;

        Gen.Select(Gen.Int[2, 40], Gen.Long, Gen.String.AlphaNumeric).Sample((k, fingerprint, product) =>
        {
            var groups = new SmallGroups(k, deviation);
            var figure = new Figure(product, "");
            for (var n = 1L; n <= groups.AlwaysHiddenUpTo; n++)
            {
                Assert.False(noise.Shown(figure, k, n, fingerprint), $"{n} installs shown under k = {k}");
            }

            for (var n = groups.AlwaysShownFrom; n <= groups.AlwaysShownFrom + 3; n++)
            {
                Assert.True(noise.Shown(figure, k, n, fingerprint), $"{n} installs hidden under k = {k}");
            }
        });
    }

    [Fact]
    public void Rule_SaysAboutK_AndTheSizesAlwaysHiddenAndShown()
    {
        Assert.Equal(
            "Groups with too few distinct installs are hidden, exactly as the query API hides them: the cut-off is about 5 installs, " +
            "with a little noise, so a group of 2 installs or fewer is always hidden and one of 7 installs or more always shown.",
            new SmallGroups(5, 1).Rule);
        Assert.Contains("so a group of 1 install is always hidden and one of 4 installs or more always shown.", new SmallGroups(2, 1).Rule);
        Assert.Equal("No group is hidden for being small: this product's threshold k is 1.", new SmallGroups(1, 1).Rule);
        Assert.Equal("Everything here is hidden: no group has enough installs (about 5 or more).", new SmallGroups(5, 1).AllHidden);
    }

    [Theory]
    [InlineData(1, "1 more group is hidden: too few installs.")]
    [InlineData(2, "2 more groups are hidden: too few installs.")]
    [InlineData(1200, "1,200 more groups are hidden: too few installs.")]
    public void MoreHidden_IsSingularOrPlural(int count, string expected) => Assert.Equal(expected, SmallGroups.MoreHidden(count));

    [Theory]
    [InlineData(5, "groups under about 5 installs hidden")]
    [InlineData(1, "no group hidden for its size")]
    public void Short_NamesTheCutOffOrSaysThereIsNone(int k, string expected) => Assert.Equal(expected, SmallGroups.Short(k));
}
