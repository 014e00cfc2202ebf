using Candor.Collector.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Candor.Dashboard.Tests;

public sealed class DashboardFilterTests
{
    private static readonly DateOnly Today = new(2026, 3, 10);

    [Fact]
    public void Parse_NoParameters_IsTheLast30Days()
    {
        var filter = DashboardFilter.Parse(Query(), Today, out var problems);

        Assert.Equal(new DashboardFilter(new DateOnly(2026, 2, 9), Today), filter);
        Assert.True(filter.IsDefault(Today));
        Assert.Empty(problems);
    }

    [Fact]
    public void Parse_EveryParameter_RoundTripsThroughTheQueryString()
    {
        var filter = DashboardFilter.Parse(Query(("from", "2026-01-01"), ("to", "2026-01-31"), ("version", "1.3.0"), ("os", "linux"), ("ci", "false")), Today, out var problems);

        Assert.Empty(problems);
        Assert.Equal(new DashboardFilter(new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31), "1.3.0", "linux", false), filter);
        Assert.Equal("?from=2026-01-01&to=2026-01-31&version=1.3.0&os=linux&ci=false", filter.ToQueryString());
    }

    [Theory]
    [InlineData("from", "yesterday", "The start date 'yesterday' is not a date")]
    [InlineData("ci", "maybe", "The CI filter must be 'true' or 'false'")]
    public void Parse_UnreadableParameter_FallsBackAndSaysWhy(string name, string value, string problem)
    {
        var filter = DashboardFilter.Parse(Query((name, value)), Today, out var problems);

        Assert.StartsWith(problem, Assert.Single(problems), StringComparison.Ordinal);
        Assert.True(filter.IsDefault(Today));
    }

    [Fact]
    public void Parse_StartAfterEnd_ShowsThe30DaysUpToTheEnd()
    {
        var filter = DashboardFilter.Parse(Query(("from", "2026-03-01"), ("to", "2026-02-01")), Today, out var problems);

        Assert.Single(problems);
        Assert.Equal(new DateOnly(2026, 1, 3), filter.From);
        Assert.Equal(new DateOnly(2026, 2, 1), filter.To);
    }

    private static QueryCollection Query(params (string Name, string Value)[] parameters) =>
        new(parameters.ToDictionary(p => p.Name, p => new StringValues(p.Value)));
}
