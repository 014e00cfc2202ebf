using Candor.Collector.Dashboard;
using Candor.Collector.Products;
using Candor.Collector.Query;
using Candor.Collector.Storage;
using Candor.Collector.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Candor.Dashboard.Tests;

/// <summary>
/// The page is computed from one batch of rollup queries; every figure it shows must still be what the query API
/// answers, query by query, for the same filter: the same numbers and the same groups hidden below k.
/// </summary>
public sealed class ProductViewBuilderTests(AcmeCollector acme) : IClassFixture<AcmeCollector>
{
    [Theory]
    [InlineData(null, null, null)]
    [InlineData("1.3.0", null, false)]
    [InlineData(null, "windows", null)]
    [InlineData(null, null, true)]
    [InlineData(AcmeCollector.PreviewVersion, null, null)]
    public async Task BuildAsync_EverySection_ShowsWhatTheQueryApiAnswersForTheSameFilter(string? version, string? os, bool? ci)
    {
        var services = acme.Collector.Services;
        var queries = services.GetRequiredService<QueryService>();
        var product = services.GetRequiredService<ProductCatalog>().Find(Acme.Product)!;
        var filter = new DashboardFilter(queries.Today.AddDays(-29), queries.Today, version, os, ci);
        Assert.Null(queries.Resolve(filter.Arguments(Acme.Product), out var scope));

        var view = await services.GetRequiredService<ProductViewBuilder>().BuildAsync(product, filter, default);

        var expected = await ExpectedAsync(queries, scope);
        var sections = view.Groups.SelectMany(g => g.Sections).ToList();
        Assert.Equal(version == AcmeCollector.PreviewVersion, sections.All(s => s.Rows.Count == 0));
        Assert.Equal(expected.Keys.Order(), sections.Select(s => s.Id).Order());
        foreach (var section in sections)
        {
            var (rows, suppressed) = expected[section.Id];
            Assert.True(rows.SequenceEqual(section.Rows, RowComparer.Instance), $"the rows of {section.Id}");
            Assert.Equal(suppressed, section.Suppressed);
        }

        var total = await queries.EventsAsync(scope, Interval.Total, default);
        Assert.Equal(total.Rows.Count > 0 ? total.Rows[0].Events : null, view.Events);
        Assert.Equal(total.Rows.Count > 0 ? total.Rows[0].Installs : null, view.Installs);
        var versions = await queries.SharesAsync(scope.With(scope.Filter with { Version = null }), ContextDimension.Version, default);
        Assert.Equal(Options(versions, version), view.Versions);
        var systems = await queries.SharesAsync(scope.With(scope.Filter with { Os = null }), ContextDimension.Os, default);
        Assert.Equal(Options(systems, os), view.OperatingSystems);
    }

    [Theory]
    [InlineData("Container", "true", "in a container")]
    [InlineData("Container", "false", "not in a container")]
    [InlineData("Ci", "", "not CI")]
    [InlineData("Ci", "github-actions", "github-actions")]
    [InlineData("Country", "", "unknown")]
    [InlineData("Os", "", "(none)")]
    [InlineData("Os", "linux", "linux")]
    public void Display_ContextValue_IsNamedAsThePageShowsIt(string dimension, string value, string shown)
    {
        Assert.Equal(shown, ProductViewBuilder.Display(Enum.Parse<ContextDimension>(dimension), value));
    }

    [Fact]
    public async Task BuildAsync_FilterMatchingOnlyHiddenInstalls_ShowsNothingAndSaysItHidSome()
    {
        var services = acme.Collector.Services;
        var queries = services.GetRequiredService<QueryService>();
        var product = services.GetRequiredService<ProductCatalog>().Find(Acme.Product)!;
        var filter = new DashboardFilter(queries.Today.AddDays(-29), queries.Today, AcmeCollector.PreviewVersion);

        var view = await services.GetRequiredService<ProductViewBuilder>().BuildAsync(product, filter, default);

        Assert.Null(view.Events);
        Assert.True(view.HasAnyData);
        Assert.True(view.HasDataInRange);
        Assert.True(view.Suppressed > 0);
    }

    [Fact]
    public async Task BuildAsync_OneDayOfData_DrawsThatDayAsAColumn_NotADotAtTheEdge()
    {
        await using var collector = await TestCollector.StartAsync();
        var key = await collector.RegisterAsync(Acme.ManifestJson, k: 1);
        var events = Enumerable.Range(0, 3).Select(_ => Acme.Event("command", Guid.NewGuid(), Some.Now.AddHours(-1))).ToArray();
        Assert.Equal(3, (await TestCollector.ReadBatchAsync(await collector.PostBatchAsync(key, events))).Accepted);
        var services = collector.Services;
        var queries = services.GetRequiredService<QueryService>();
        var product = services.GetRequiredService<ProductCatalog>().Find(Acme.Product)!;

        var view = await services.GetRequiredService<ProductViewBuilder>().BuildAsync(product, DashboardFilter.Default(queries.Today), default);

        var today = DashboardFilter.Day(queries.Today);
        var sections = view.Groups.SelectMany(g => g.Sections).ToDictionary(s => s.Id);
        foreach (var id in new[] { "events", "installs-day", "installs-week", "installs-month", "adoption" })
        {
            Assert.Equal(ChartKind.Column, sections[id].Chart);
            Assert.Single(sections[id].Labels);
        }

        Assert.Equal([today], sections["events"].Labels);
        Assert.Equal([today], sections["adoption"].Labels);

        Assert.Equal([(double?)view.Events], sections["events"].Series[0].Values);
        Assert.Equal("Active installs of the one version shown above, per day.", sections["adoption"].Description);
    }

    [Fact]
    public void Sparse_KeepsALineThatDrawsOne_AndTurnsLoneDotsIntoColumnsOfTheirPeriodsOnly()
    {
        Section Line(params double?[][] series) => new(
            "s", "S", "", ChartKind.Line, Measure.Count, ["d1", "d2", "d3", "d4"],
            [.. series.Select((values, i) => new Series($"v{i}", values))], [], [], 0);

        var line = Line([1, 2, null, null]);
        Assert.Same(line, ProductViewBuilder.Sparse(line));
        var crossing = Line([1, null, 3, null], [null, 2, null, null]);
        Assert.Equal(ChartKind.Column, ProductViewBuilder.Sparse(crossing).Chart);

        var dots = ProductViewBuilder.Sparse(Line([null, 5, null, 7], [null, null, null, 1]));
        Assert.Equal(ChartKind.Column, dots.Chart);
        Assert.Equal(["d2", "d4"], dots.Labels);
        Assert.Equal([5, 7], dots.Series[0].Values);
        Assert.Equal([null, 1], dots.Series[1].Values);
    }

    [Fact]
    public async Task BuildAsync_NoVersionShown_SaysSoInsteadOfZeroMostUsedVersions()
    {
        var services = acme.Collector.Services;
        var queries = services.GetRequiredService<QueryService>();
        var product = services.GetRequiredService<ProductCatalog>().Find(Acme.Product)!;
        var filter = new DashboardFilter(queries.Today.AddDays(-29), queries.Today, AcmeCollector.PreviewVersion);

        var view = await services.GetRequiredService<ProductViewBuilder>().BuildAsync(product, filter, default);

        var adoption = view.Groups.SelectMany(g => g.Sections).Single(s => s.Id == "adoption");
        Assert.Equal("Active installs of the most used versions, per day.", adoption.Description);
        Assert.Equal("No version is shown: each has too few installs.", adoption.Nothing);
        Assert.Empty(adoption.Rows);
    }

    // The rows each section's table shows, from the query API's own answers, one query at a time.
    private static async Task<Dictionary<string, (List<IReadOnlyList<object>> Rows, int Suppressed)>> ExpectedAsync(QueryService queries, QueryScope scope)
    {
        var expected = new Dictionary<string, (List<IReadOnlyList<object>>, int)>();
        void Expect(string id, IEnumerable<IReadOnlyList<object>> rows, int suppressed) => expected[id] = ([.. rows.Take(50)], suppressed);

        var days = await queries.EventsAsync(scope, Interval.Day, default);
        Expect("events", days.Rows.Select(r => Row(Day(r.Period), r.Events, r.Installs)), days.Suppressed);
        foreach (var (id, interval) in new[] { ("installs-day", Interval.Day), ("installs-week", Interval.Week), ("installs-month", Interval.Month) })
        {
            var installs = await queries.InstallsAsync(scope, interval, default);
            Expect(id, installs.Rows.Select(r => Row(Day(r.Period), r.Installs)), installs.Suppressed);
        }

        var byName = new List<(string Name, long Events, long Installs)>();
        var hiddenNames = 0;
        foreach (var name in new[] { "command", "command-failed", "crash" })
        {
            var result = await queries.EventsAsync(scope.ForEvent(name), Interval.Total, default);
            byName.AddRange(result.Rows.Select(r => (name, r.Events, r.Installs)));
            hiddenNames += result.Suppressed;
        }

        Expect("by-event", byName.OrderByDescending(r => r.Events).Select(r => Row(r.Name, r.Events, r.Installs)), hiddenNames);
        foreach (var (e, field) in new[] { ("command", "command"), ("command", "features"), ("command", "packages"), ("command-failed", "command"), ("command-failed", "packages") })
        {
            var result = (await queries.ByPropertyAsync(scope.ForEvent(e), field, default)).Result!;
            Expect($"property-{e}-{field}", result.Rows.Select(r => Row(ProductViewBuilder.Display(r.Value), r.Events, r.Installs)), result.Suppressed);
        }

        foreach (var field in new[] { "command", "packages" })
        {
            var result = (await queries.RatioAsync(scope, "command-failed", "command", field, default)).Result!;
            Expect($"failure-command-failed-command-{field}", result.Rows.Select(r => Row(ProductViewBuilder.Display(r.Group), r.Numerator ?? (object)ProductViewBuilder.FewOrNone, r.Denominator, r.Rate ?? (object)ProductViewBuilder.FewOrNone)), result.Suppressed);
        }

        var durations = (await queries.DurationsAsync(scope.ForEvent("command"), "duration", Interval.Day, default)).Result!;
        Expect("duration-command-duration", durations.Rows.Select(r => Row(Day(r.Period), r.Count, r.P50, r.P90, r.P99)), durations.Suppressed);

        var versions = await queries.SharesAsync(scope, ContextDimension.Version, default);
        Expect("version-shares", versions.Rows.Select(r => Row(ProductViewBuilder.Display(r.Value), r.Installs, r.Share)), versions.Suppressed);
        var adoption = new List<(string Version, QueryResult<InstallRow> Result)>();
        foreach (var top in versions.Rows.Take(5))
        {
            adoption.Add((top.Value, await queries.InstallsAsync(scope.With(scope.Filter with { Version = top.Value }), Interval.Day, default)));
        }

        Expect(
            "adoption",
            adoption.SelectMany(a => a.Result.Rows.Select(r => r.Period)).Distinct().Order().Select(p =>
                (IReadOnlyList<object>)[Day(p), .. adoption.Select(a => a.Result.Rows.FirstOrDefault(r => r.Period == p) is { } row ? (object)row.Installs : "hidden")]),
            adoption.Sum(a => a.Result.Suppressed));

        foreach (var dimension in new[] { ContextDimension.Os, ContextDimension.Runtime, ContextDimension.Container, ContextDimension.Ci, ContextDimension.Country })
        {
            var result = await queries.SharesAsync(scope, dimension, default);
            if (dimension is not ContextDimension.Country || result.Rows.Any(r => r.Value.Length > 0))
            {
                Expect($"platform-{dimension.ToString().ToLowerInvariant()}", result.Rows.Select(r => Row(ProductViewBuilder.Display(dimension, r.Value), r.Installs, r.Share)), result.Suppressed);
            }
        }

        var exceptions = (await queries.ExceptionsAsync(scope.ForEvent("crash"), "stack", 10, default)).Result!;
        Expect("exceptions-crash-stack", exceptions.Rows.Select(r => Row(r.Signature, r.Events, r.Installs)), exceptions.Suppressed);
        return expected;
    }

    private static List<string> Options(QueryResult<ShareRow> shares, string? selected)
    {
        var options = shares.Rows.Select(r => r.Value).Where(v => v.Length > 0).ToList();
        if (selected is not null && !options.Contains(selected))
        {
            options.Insert(0, selected);
        }

        return options;
    }

    private static object[] Row(params object[] values) => values;

    private static string Day(DateOnly day) => DashboardFilter.Day(day);

    private sealed class RowComparer : IEqualityComparer<IReadOnlyList<object>>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(IReadOnlyList<object>? x, IReadOnlyList<object>? y) => x!.SequenceEqual(y!);

        public int GetHashCode(IReadOnlyList<object> obj) => obj.Count;
    }
}
