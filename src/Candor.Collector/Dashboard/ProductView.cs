using Candor.Collector.Products;

namespace Candor.Collector.Dashboard;

/// <summary>Everything one product page shows, computed once from the query service and then only rendered.</summary>
/// <param name="Product">The product and its manifests.</param>
/// <param name="Filter">The filter the figures were computed for.</param>
/// <param name="SmallGroups">The product's threshold and the noise on it: which groups are hidden for being small, in words.</param>
/// <param name="ComputedAt">When the figures were read.</param>
/// <param name="Events">Events in the range, or <see langword="null"/> when too few installs sent them.</param>
/// <param name="Installs">Distinct installs in the range, or <see langword="null"/> when too few.</param>
/// <param name="HasAnyData">Whether the product has any event at all in the last three years (else the page shows how to send the first).</param>
/// <param name="Groups">The page's sections, grouped under headings.</param>
/// <param name="Versions">The versions the version filter offers.</param>
/// <param name="OperatingSystems">The OS families the OS filter offers.</param>
internal sealed record ProductView(
    CatalogProduct Product,
    DashboardFilter Filter,
    SmallGroups SmallGroups,
    DateTimeOffset ComputedAt,
    long? Events,
    long? Installs,
    bool HasAnyData,
    IReadOnlyList<SectionGroup> Groups,
    IReadOnlyList<string> Versions,
    IReadOnlyList<string> OperatingSystems)
{
    /// <summary>The version of the product's data the figures were computed from (<see cref="ProductDataVersions"/>); the open page reloads when it changes.</summary>
    public string DataVersion { get; init; } = "";

    /// <summary>How many groups, periods or values the page hides in all, because too few installs are in them.</summary>
    public int Suppressed => Groups.SelectMany(g => g.Sections).Sum(s => s.Suppressed) + (Events is null && HasAnyData ? 1 : 0);

    /// <summary>Whether the range and filters match any event (shown or hidden).</summary>
    public bool HasDataInRange => Events is not null || Suppressed > 0;
}

/// <summary>A heading of the page and the sections under it.</summary>
internal sealed record SectionGroup(string Id, string Title, IReadOnlyList<Section> Sections);

/// <summary>How a section's figures are drawn; every section also has its table.</summary>
internal enum ChartKind
{
    /// <summary>Table only (exception signatures are long text).</summary>
    None,

    /// <summary>A line over time.</summary>
    Line,

    /// <summary>
    /// Vertical bars over time, only for the periods that have figures, each with its value written on it: a
    /// line chart whose periods with figures are all apart (one day of data, say) would be lone dots, one of
    /// them at the chart's edge.
    /// </summary>
    Column,

    /// <summary>Horizontal bars, one per value.</summary>
    Bar,
}

/// <summary>How the numbers of a column or chart read.</summary>
internal enum Measure
{
    /// <summary>A count: 1,234.</summary>
    Count,

    /// <summary>A fraction shown as a percentage: 12.5%.</summary>
    Percent,

    /// <summary>Milliseconds: 1,234 ms.</summary>
    Milliseconds,

    /// <summary>Text (a value or a day).</summary>
    Text,
}

/// <summary>A column of a section's table.</summary>
internal sealed record Column(string Title, Measure Measure);

/// <summary>
/// One chart and its table. The chart draws <see cref="Series"/> over <see cref="Labels"/>; the table shows
/// <see cref="Rows"/>, which hold the same figures (and a few more, such as the install counts). <see cref="Nothing"/>
/// says why the section is empty when the general words ("no data", "everything hidden") would not be right.
/// </summary>
internal sealed record Section(
    string Id,
    string Title,
    string Description,
    ChartKind Chart,
    Measure ChartMeasure,
    IReadOnlyList<string> Labels,
    IReadOnlyList<Series> Series,
    IReadOnlyList<Column> Columns,
    IReadOnlyList<IReadOnlyList<object>> Rows,
    int Suppressed,
    string? Note = null,
    string? Nothing = null);

/// <summary>One line or set of bars; a missing value (a hidden or empty period) is <see langword="null"/>.</summary>
internal sealed record Series(string Name, IReadOnlyList<double?> Values);
