using System.Globalization;
using Candor.Collector.Products;
using Candor.Collector.Query;
using Candor.Collector.Storage;
using Candor.Manifest;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Plans a product page from the product's manifests and fills it through <see cref="QueryService"/>, so the
/// page hides exactly what the query API hides. The page's queries are asked of one <see cref="RollupBatch"/>,
/// which the store answers in one pass over the day rollups; a second, small batch then asks what depends on the
/// first answers (the adoption of the most used versions).
/// </summary>
// A page computed right after a start runs all of this for the first time: the plan is plain loops over the
// manifest and the answers, with two awaits in all, rather than a task, an async method and LINQ query per chart.
internal sealed class ProductViewBuilder(QueryService queries, FigureNoise noise, TimeProvider time)
{
    private const int MaxChartBars = 15;
    private const int MaxTableRows = 50;
    private const int AdoptionVersions = 5;

    // Above this many days a point per day is too fine to read; the page draws a point per week instead.
    private const int MaxDailyDays = 92;

    private static readonly (ContextDimension Dimension, string Title, string Description)[] Platforms =
    [
        (ContextDimension.Os, "Operating systems", "The share of installs on each OS family."),
        (ContextDimension.Runtime, ".NET runtimes", "The share of installs on each .NET runtime version."),
        (ContextDimension.Container, "Containers", "The share of installs that ran in a container."),
        (ContextDimension.Ci, "CI", "The share of installs that ran in CI, by CI vendor."),
        (ContextDimension.Country, "Countries", "The share of installs per country, derived from the truncated client address (only where a country file is configured)."),
    ];

    /// <summary>Computes the page for one product and filter.</summary>
    /// <exception cref="ArgumentException">The filter is outside what the query service accepts (the caller checks it first).</exception>
    public async Task<ProductView> BuildAsync(CatalogProduct product, DashboardFilter filter, CancellationToken cancellationToken)
    {
        if (queries.Resolve(filter.Arguments(product.Record.Name), out var scope) is { } problem)
        {
            throw new ArgumentException(problem.Detail, nameof(filter));
        }

        var plan = new Plan(product, filter, scope);
        await queries.RunAsync(plan.Batch, cancellationToken);

        // Hidden data is still data: a product whose only installs are fewer than k has data, all of it hidden.
        var everything = (QueryScope?)null;
        if (!plan.HasDataInRange)
        {
            var today = queries.Today;
            queries.Resolve(new QueryArguments(product.Record.Name, today.AddDays(-QueryService.MaxDays), today), out everything);
        }

        var more = plan.AskMore(everything);
        await queries.RunAsync(more, cancellationToken);
        return plan.Compose(more, new SmallGroups(product.Record.KThreshold, noise.Description.Threshold), time.GetUtcNow());
    }

    /// <summary>The queries of one page, where their answers are in the batches, and how the page is made of them.</summary>
    private sealed class Plan
    {
        private readonly CatalogProduct _product;
        private readonly DashboardFilter _filter;
        private readonly QueryScope _scope;
        private readonly Interval _period;
        private readonly int _total;
        private readonly int _perPeriod;
        private readonly int _weekly;
        private readonly int _monthly;
        private readonly List<(string Name, int Asked)> _byName = [];
        private readonly List<(EventDefinition Event, FieldDefinition Field, QueryScope Scope, int Asked)> _properties = [];
        private readonly List<(EventDefinition Error, EventDefinition Usage, FieldDefinition Field, (int, int) Overall, (int, int) ByField)> _failures = [];
        private readonly List<(EventDefinition Event, FieldDefinition Field, QueryScope Scope, (int, int) Asked)> _durations = [];
        private readonly (int, int) _versions;
        private readonly List<(ContextDimension Dimension, string Title, string Description, (int, int) Asked)> _platforms = [];
        private readonly List<(EventDefinition Event, FieldDefinition Field, QueryScope Scope, int Asked)> _exceptions = [];
        private readonly (QueryScope Scope, (int, int) Asked) _versionOptions;
        private readonly (QueryScope Scope, (int, int) Asked) _osOptions;
        private readonly List<(string Version, QueryScope Scope, int Asked)> _adoption = [];
        private int _everything = -1;

        public Plan(CatalogProduct product, DashboardFilter filter, QueryScope scope)
        {
            _product = product;
            _filter = filter;
            _scope = scope;
            _period = filter.To.DayNumber - filter.From.DayNumber < MaxDailyDays ? Interval.Day : Interval.Week;
            var batch = Batch;
            _total = QueryService.AskEvents(batch, scope, Interval.Total);
            _perPeriod = QueryService.AskEvents(batch, scope, _period);
            _weekly = QueryService.AskEvents(batch, scope, Interval.Week);
            _monthly = QueryService.AskEvents(batch, scope, Interval.Month);

            var events = Events(product);
            foreach (var e in events)
            {
                var forEvent = scope.ForEvent(e.Name);
                _byName.Add((e.Name, QueryService.AskEvents(batch, forEvent, Interval.Total)));
                foreach (var field in e.Fields)
                {
                    if (IsGroupable(field))
                    {
                        _properties.Add((e, field, forEvent, QueryService.AskByProperty(batch, forEvent, field.Name)));
                    }
                }
            }

            // Each error event against each usage event, by every groupable property both declare (failing packages per install).
            foreach (var error in events)
            {
                if (error.Level is not EventLevel.Error)
                {
                    continue;
                }

                foreach (var use in events)
                {
                    if (use.Level is not EventLevel.Usage)
                    {
                        continue;
                    }

                    foreach (var field in error.Fields)
                    {
                        if (IsGroupable(field) && use.Find(field.Name) is { IsMeasurement: false } shared && IsGroupable(shared))
                        {
                            _failures.Add((error, use, field,
                                QueryService.AskRatio(batch, scope, error.Name, use.Name, null),
                                QueryService.AskRatio(batch, scope, error.Name, use.Name, field.Name)));
                        }
                    }
                }
            }

            foreach (var e in events)
            {
                var forEvent = scope.ForEvent(e.Name);
                foreach (var field in e.Fields)
                {
                    if (field.Kind is FieldKind.Duration)
                    {
                        _durations.Add((e, field, forEvent, QueryService.AskDurations(batch, forEvent, field.Name, _period)));
                    }
                }
            }

            _versions = QueryService.AskShares(batch, scope, ContextDimension.Version);
            foreach (var (dimension, title, description) in Platforms)
            {
                _platforms.Add((dimension, title, description, QueryService.AskShares(batch, scope, dimension)));
            }

            foreach (var e in events)
            {
                var forEvent = scope.ForEvent(e.Name);
                foreach (var field in e.Fields)
                {
                    if (field.Kind is FieldKind.Stack)
                    {
                        _exceptions.Add((e, field, forEvent, QueryService.AskByProperty(batch, forEvent, field.Name)));
                    }
                }
            }

            // The filters offer every value the page could narrow to, so they ignore their own filter.
            var versionScope = filter.Version is null ? scope : scope.With(scope.Filter with { Version = null });
            _versionOptions = (versionScope, QueryService.AskShares(batch, versionScope, ContextDimension.Version));
            var osScope = filter.Os is null ? scope : scope.With(scope.Filter with { Os = null });
            _osOptions = (osScope, QueryService.AskShares(batch, osScope, ContextDimension.Os));
        }

        /// <summary>Every query of the page but what depends on the answers.</summary>
        public RollupBatch Batch { get; } = new();

        /// <summary>Whether the range and filters match any event, shown or hidden (known once <see cref="Batch"/> has run).</summary>
        public bool HasDataInRange => Batch[_total].PeriodRows.Count > 0;

        /// <summary>
        /// Asks what depends on the first answers: the adoption of the most used versions, and whether the product
        /// has any data at all (<paramref name="everything"/>, when the range has none).
        /// </summary>
        public RollupBatch AskMore(QueryScope? everything)
        {
            var more = new RollupBatch();
            var versions = QueryService.Shares(_scope, Batch, _versions).Rows;
            for (var i = 0; i < versions.Count && i < AdoptionVersions; i++)
            {
                var scope = _scope.With(_scope.Filter with { Version = versions[i].Value });
                _adoption.Add((versions[i].Value, scope, QueryService.AskEvents(more, scope, _period)));
            }

            if (everything is not null)
            {
                _everything = QueryService.AskEvents(more, everything, Interval.Total);
            }

            return more;
        }

        public ProductView Compose(RollupBatch more, SmallGroups smallGroups, DateTimeOffset now)
        {
            var batch = Batch;
            var (scope, filter, period) = (_scope, _filter, _period);
            var totals = QueryService.Events(scope, batch, _total);
            var hasAnyData = HasDataInRange || _everything >= 0 && more[_everything].PeriodRows.Count > 0;
            var axis = Axis(filter.From, filter.To, period);
            var perPeriod = QueryService.Events(scope, batch, _perPeriod);
            var groups = new List<SectionGroup>
            {
                new("activity", "Activity",
                [
                    EventsSection($"Events per {Name(period)}", axis, perPeriod),
                    InstallsSection("installs-day", $"Active installs per {Name(period)}", "Distinct installs that sent at least one event in the period.", axis, QueryService.Installs(scope, batch, _perPeriod)),
                    InstallsSection("installs-week", "Active installs per week", "Distinct installs per week (weeks start on Monday).", Axis(filter.From, filter.To, Interval.Week), QueryService.Installs(scope, batch, _weekly)),
                    InstallsSection("installs-month", "Active installs per month", "Distinct installs per calendar month.", Axis(filter.From, filter.To, Interval.Month), QueryService.Installs(scope, batch, _monthly)),
                ]),
            };

            var nameRows = new List<(string Name, long Events, long Installs)>();
            var hiddenNames = 0;
            foreach (var (name, asked) in _byName)
            {
                var result = QueryService.Events(scope.ForEvent(name), batch, asked);
                hiddenNames += result.Suppressed;
                foreach (var row in result.Rows)
                {
                    nameRows.Add((name, row.Events, row.Installs));
                }
            }

            // Most events first; equal counts keep the manifest's order (a stable sort).
            var byEvents = new List<(string Name, long Events, long Installs)>(nameRows.Count);
            foreach (var row in nameRows)
            {
                var at = byEvents.Count;
                while (at > 0 && byEvents[at - 1].Events < row.Events)
                {
                    at--;
                }

                byEvents.Insert(at, row);
            }

            var usage = new List<Section> { BarSection("by-event", "Events by name", "How often each declared event was sent.", "Event", byEvents, hiddenNames) };
            foreach (var (e, field, forEvent, asked) in _properties)
            {
                var result = QueryService.ByProperty(forEvent, batch, asked);
                var rows = new List<(string Value, long Events, long Installs)>(result.Rows.Count);
                foreach (var row in result.Rows)
                {
                    rows.Add((Display(row.Value), row.Events, row.Installs));
                }

                usage.Add(BarSection(Id("property", e.Name, field.Name), $"{e.Name}: {field.Name}", field.Description, field.Name, rows, result.Suppressed));
            }

            groups.Add(new SectionGroup("usage", "Commands and features", usage));

            var failureSections = new List<Section>();
            foreach (var (error, use, field, overall, byField) in _failures)
            {
                failureSections.Add(FailureSection(error, use, field, QueryService.Ratio(scope, batch, overall), QueryService.Ratio(scope, batch, byField)));
            }

            if (failureSections.Count > 0)
            {
                groups.Add(new SectionGroup("failures", "Failure rates", failureSections));
            }

            var durationSections = new List<Section>();
            foreach (var (e, field, forEvent, asked) in _durations)
            {
                durationSections.Add(DurationSection(e, field, axis, period, QueryService.Durations(forEvent, batch, asked)));
            }

            if (durationSections.Count > 0)
            {
                groups.Add(new SectionGroup("durations", "Durations", durationSections));
            }

            var adoption = new List<(string Version, QueryResult<InstallRow> Result)>();
            foreach (var (version, versionScope, asked) in _adoption)
            {
                adoption.Add((version, QueryService.Installs(versionScope, more, asked)));
            }

            var versions = QueryService.Shares(scope, batch, _versions);
            groups.Add(new SectionGroup("versions", "Versions",
            [
                ShareSection("version-shares", "Installs by version", "The share of installs on each version of the product.", "Version", versions, ContextDimension.Version),
                AdoptionSection(axis, period, adoption, versions.Suppressed),
            ]));

            var platformSections = new List<Section>();
            foreach (var (dimension, title, description, asked) in _platforms)
            {
                var result = QueryService.Shares(scope, batch, asked);
                if (dimension is ContextDimension.Country && AllEmpty(result))
                {
                    continue;
                }

                platformSections.Add(ShareSection(Id("platform", dimension.ToString()), title, description, title, result, dimension));
            }

            groups.Add(new SectionGroup("platforms", "Platforms", platformSections));

            var exceptionSections = new List<Section>();
            foreach (var (e, field, forEvent, asked) in _exceptions)
            {
                var result = QueryService.Exceptions(forEvent, batch, asked, 10);
                var rows = new List<IReadOnlyList<object>>(result.Rows.Count);
                foreach (var row in result.Rows)
                {
                    rows.Add([row.Signature, row.Events, row.Installs]);
                }

                exceptionSections.Add(new Section(
                    Id("exceptions", e.Name, field.Name), $"Top exception signatures of {e.Name}", field.Description, ChartKind.None, Measure.Count, [], [],
                    [new Column("Signature", Measure.Text), new Column("Events", Measure.Count), new Column("Installs", Measure.Count)],
                    rows, result.Suppressed));
            }

            if (exceptionSections.Count > 0)
            {
                groups.Add(new SectionGroup("exceptions", "Exceptions", exceptionSections));
            }

            var summary = totals.Rows.Count > 0 ? totals.Rows[0] : null;
            var versionOptions = QueryService.Shares(_versionOptions.Scope, batch, _versionOptions.Asked);
            var osOptions = QueryService.Shares(_osOptions.Scope, batch, _osOptions.Asked);
            return new ProductView(
                _product, filter, smallGroups, now, summary?.Events, summary?.Installs, hasAnyData, groups,
                Options(versionOptions, filter.Version), Options(osOptions, filter.Os));
        }

        private static bool AllEmpty(QueryResult<ShareRow> result)
        {
            foreach (var row in result.Rows)
            {
                if (row.Value.Length > 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Every event any revision declares, each once (its newest declaration), newest revision first, in manifest order.</summary>
    private static List<EventDefinition> Events(CatalogProduct product)
    {
        var revisions = new List<TelemetryManifest>(product.Revisions.Values);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var events = new List<EventDefinition>();
        for (var i = revisions.Count - 1; i >= 0; i--)
        {
            foreach (var e in revisions[i].Events)
            {
                if (seen.Add(e.Name))
                {
                    events.Add(e);
                }
            }
        }

        return events;
    }

    // Hashes and signatures group fine but read as noise in a bar chart; signatures have their own section.
    private static bool IsGroupable(FieldDefinition field) => field.Kind switch
    {
        FieldKind.Enum or FieldKind.Bool or FieldKind.Bucket or FieldKind.Version or FieldKind.NameOrHash => true,
        FieldKind.List => field.Item is { } item && IsGroupable(item),
        _ => false,
    };

    private static Section EventsSection(string title, List<DateOnly> axis, QueryResult<PeriodRow> result)
    {
        var values = new List<double?>(axis.Count);
        foreach (var day in axis)
        {
            values.Add(AtDay(result.Rows, day, static row => row.Period) is { } row ? row.Events : null);
        }

        var rows = new List<IReadOnlyList<object>>(result.Rows.Count);
        foreach (var row in result.Rows)
        {
            rows.Add([DashboardFilter.Day(row.Period), row.Events, row.Installs]);
        }

        return Sparse(new Section(
            "events", title, "Every event the product sent, per period.", ChartKind.Line, Measure.Count,
            Labels(axis), [new Series("Events", values)],
            [new Column("Period", Measure.Text), new Column("Events", Measure.Count), new Column("Installs", Measure.Count)],
            rows, result.Suppressed));
    }

    private static Section InstallsSection(string id, string title, string description, List<DateOnly> axis, QueryResult<InstallRow> result)
    {
        var values = new List<double?>(axis.Count);
        foreach (var day in axis)
        {
            values.Add(AtDay(result.Rows, day, static row => row.Period)?.Installs);
        }

        var rows = new List<IReadOnlyList<object>>(result.Rows.Count);
        foreach (var row in result.Rows)
        {
            rows.Add([DashboardFilter.Day(row.Period), row.Installs]);
        }

        return Sparse(new Section(
            id, title, description, ChartKind.Line, Measure.Count,
            Labels(axis), [new Series("Installs", values)],
            [new Column("Period", Measure.Text), new Column("Installs", Measure.Count)],
            rows, result.Suppressed));
    }

    private static Section BarSection(string id, string title, string description, string valueTitle, List<(string Value, long Events, long Installs)> rows, int suppressed)
    {
        var labels = new List<string>();
        var values = new List<double?>();
        var table = new List<IReadOnlyList<object>>();
        for (var i = 0; i < rows.Count && i < MaxTableRows; i++)
        {
            var (value, events, installs) = rows[i];
            if (i < MaxChartBars)
            {
                labels.Add(value);
                values.Add(events);
            }

            table.Add([value, events, installs]);
        }

        return new Section(
            id, title, description, ChartKind.Bar, Measure.Count,
            labels, [new Series("Events", values)],
            [new Column(valueTitle, Measure.Text), new Column("Events", Measure.Count), new Column("Installs", Measure.Count)],
            table, suppressed,
            rows.Count > MaxTableRows ? $"The table shows the top {MaxTableRows} of {rows.Count} values." : null);
    }

    /// <summary>A hidden numerator: a few installs or none, never told apart.</summary>
    internal const string FewOrNone = "few or none";

    private static Section FailureSection(EventDefinition error, EventDefinition use, FieldDefinition field, QueryResult<RatioRow> overall, QueryResult<RatioRow> result)
    {
        var labels = new List<string>();
        var values = new List<double?>();
        var table = new List<IReadOnlyList<object>>();
        for (var i = 0; i < result.Rows.Count && i < MaxTableRows; i++)
        {
            var row = result.Rows[i];
            var group = Display(row.Group);
            if (i < MaxChartBars)
            {
                labels.Add(group);
                values.Add(row.Rate);
            }

            table.Add([group, row.Numerator ?? (object)FewOrNone, row.Denominator, row.Rate ?? (object)FewOrNone]);
        }

        var note = overall.Rows.Count > 0 && overall.Rows[0] is var all
            ? all.Numerator is { } failed
                ? string.Create(CultureInfo.InvariantCulture, $"Overall: {all.Rate:P1} ({failed:N0} {error.Name} per {all.Denominator:N0} {use.Name}).")
                : string.Create(CultureInfo.InvariantCulture, $"Overall: {all.Denominator:N0} {use.Name}; {error.Name} is hidden: too few installs sent it, or none.")
            : $"The overall rate is hidden: too few installs sent {use.Name}.";
        if (result.Rows.Any(static row => row.Numerator is null))
        {
            note += $" \"{FewOrNone}\": too few installs sent {error.Name} in that group to show how many, or none did.";
        }
        return new Section(
            Id("failure", error.Name, use.Name, field.Name), $"{error.Name} per {use.Name}, by {field.Name}",
            $"How often {error.Name} happened for each {field.Name}, relative to {use.Name}. {error.Purpose}",
            ChartKind.Bar, Measure.Percent,
            labels, [new Series("Failure rate", values)],
            [new Column(field.Name, Measure.Text), new Column(error.Name, Measure.Count), new Column(use.Name, Measure.Count), new Column("Rate", Measure.Percent)],
            table, result.Suppressed, note);
    }

    private static Section DurationSection(EventDefinition e, FieldDefinition field, List<DateOnly> axis, Interval period, QueryResult<DurationRow> result)
    {
        var (p50, p90, p99) = (new List<double?>(axis.Count), new List<double?>(axis.Count), new List<double?>(axis.Count));
        foreach (var day in axis)
        {
            var found = AtDay(result.Rows, day, static row => row.Period);
            p50.Add(found?.P50);
            p90.Add(found?.P90);
            p99.Add(found?.P99);
        }

        var rows = new List<IReadOnlyList<object>>(result.Rows.Count);
        foreach (var row in result.Rows)
        {
            rows.Add([DashboardFilter.Day(row.Period), row.Count, row.P50, row.P90, row.P99]);
        }

        return Sparse(new Section(
            Id("duration", e.Name, field.Name), $"{e.Name}: {field.Name} per {Name(period)}", $"{field.Description} Percentiles in milliseconds, within 1%.",
            ChartKind.Line, Measure.Milliseconds,
            Labels(axis), [new Series("p50", p50), new Series("p90", p90), new Series("p99", p99)],
            [new Column("Period", Measure.Text), new Column("Count", Measure.Count), new Column("p50", Measure.Milliseconds), new Column("p90", Measure.Milliseconds), new Column("p99", Measure.Milliseconds)],
            rows, result.Suppressed));
    }

    private static Section ShareSection(string id, string title, string description, string valueTitle, QueryResult<ShareRow> result, ContextDimension dimension)
    {
        var labels = new List<string>();
        var values = new List<double?>();
        var table = new List<IReadOnlyList<object>>();
        for (var i = 0; i < result.Rows.Count && i < MaxTableRows; i++)
        {
            var row = result.Rows[i];
            var value = Display(dimension, row.Value);
            if (i < MaxChartBars)
            {
                labels.Add(value);
                values.Add(row.Share);
            }

            table.Add([value, row.Installs, row.Share]);
        }

        return new Section(
            id, title, description, ChartKind.Bar, Measure.Percent,
            labels, [new Series("Share of installs", values)],
            [new Column(valueTitle, Measure.Text), new Column("Installs", Measure.Count), new Column("Share", Measure.Percent)],
            table, result.Suppressed);
    }

    private static Section AdoptionSection(List<DateOnly> axis, Interval period, List<(string Version, QueryResult<InstallRow> Result)> versions, int hiddenVersions)
    {
        var series = new List<Series>(versions.Count);
        var columns = new List<Column> { new("Period", Measure.Text) };
        var suppressed = 0;
        foreach (var (version, result) in versions)
        {
            var values = new List<double?>(axis.Count);
            foreach (var day in axis)
            {
                values.Add(AtDay(result.Rows, day, static row => row.Period)?.Installs);
            }

            series.Add(new Series(Display(version), values));
            columns.Add(new Column(Display(version), Measure.Count));
            suppressed += result.Suppressed;
        }

        // A row per period that any version has figures for; every period of the range is on the axis, in order.
        var rows = new List<IReadOnlyList<object>>();
        foreach (var day in axis)
        {
            var row = new List<object>(versions.Count + 1) { DashboardFilter.Day(day) };
            var any = false;
            foreach (var (_, result) in versions)
            {
                var n = AtDay(result.Rows, day, static row => row.Period)?.Installs;
                any |= n is not null;
                row.Add(n is { } installs ? installs : "hidden");
            }

            if (any)
            {
                rows.Add(row);
            }
        }

        var which = versions.Count switch
        {
            0 => "the most used versions",
            1 => "the one version shown above",
            < AdoptionVersions => $"each of the {versions.Count} versions shown above",
            _ => $"the {versions.Count} most used versions",
        };
        var nothing = versions.Count == 0 && hiddenVersions > 0 ? "No version is shown: each has too few installs." : null;
        return Sparse(new Section(
            "adoption", $"Version adoption per {Name(period)}", $"Active installs of {which}, per {Name(period)}.",
            ChartKind.Line, Measure.Count, Labels(axis), series, columns, rows, suppressed, Nothing: nothing));
    }

    /// <summary>
    /// A line chart that would draw no line (no two neighbouring periods both have figures, as with one day of
    /// data) becomes columns for only the periods that have figures; any other section is returned as it is.
    /// </summary>
    internal static Section Sparse(Section section)
    {
        if (section.Chart is not ChartKind.Line)
        {
            return section;
        }

        var keep = new List<int>();
        for (var i = 0; i < section.Labels.Count; i++)
        {
            var any = false;
            foreach (var series in section.Series)
            {
                if (series.Values[i] is not null)
                {
                    any = true;
                    if (i > 0 && series.Values[i - 1] is not null)
                    {
                        return section;
                    }
                }
            }

            if (any)
            {
                keep.Add(i);
            }
        }

        var labels = new List<string>(keep.Count);
        foreach (var i in keep)
        {
            labels.Add(section.Labels[i]);
        }

        var kept = new List<Series>(section.Series.Count);
        foreach (var series in section.Series)
        {
            var values = new List<double?>(keep.Count);
            foreach (var i in keep)
            {
                values.Add(series.Values[i]);
            }

            kept.Add(series with { Values = values });
        }

        return section with { Chart = ChartKind.Column, Labels = labels, Series = kept };
    }

    // The row of one day of the chart's axis, or null when the period had nothing to show (none, or suppressed).
    private static TRow? AtDay<TRow>(IReadOnlyList<TRow> rows, DateOnly day, Func<TRow, DateOnly> period)
        where TRow : class
    {
        foreach (var row in rows)
        {
            if (period(row) == day)
            {
                return row;
            }
        }

        return null;
    }

    private static List<DateOnly> Axis(DateOnly from, DateOnly to, Interval interval)
    {
        var start = interval switch
        {
            Interval.Week => from.AddDays(-(((int)from.DayOfWeek + 6) % 7)),
            Interval.Month => new DateOnly(from.Year, from.Month, 1),
            _ => from,
        };
        var axis = new List<DateOnly>();
        for (var day = start; day <= to; day = interval switch { Interval.Week => day.AddDays(7), Interval.Month => day.AddMonths(1), _ => day.AddDays(1) })
        {
            axis.Add(day);
        }

        return axis;
    }

    private static List<string> Labels(List<DateOnly> axis)
    {
        var labels = new List<string>(axis.Count);
        foreach (var day in axis)
        {
            labels.Add(DashboardFilter.Day(day));
        }

        return labels;
    }

    private static List<string> Options(QueryResult<ShareRow> shares, string? selected)
    {
        var options = new List<string>();
        foreach (var row in shares.Rows)
        {
            if (row.Value.Length > 0)
            {
                options.Add(row.Value);
            }
        }

        if (selected is not null && !options.Contains(selected, StringComparer.Ordinal))
        {
            options.Insert(0, selected);
        }

        return options;
    }

    private static string Name(Interval period) => period is Interval.Week ? "week" : "day";

    private static string Id(params string[] parts)
    {
        var id = new System.Text.StringBuilder();
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                id.Append('-');
            }

            foreach (var c in parts[i].ToLowerInvariant())
            {
                id.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
            }
        }

        return id.ToString();
    }

    /// <summary>How the page names a group's value: an empty value is "(none)".</summary>
    internal static string Display(string value) => value.Length == 0 ? "(none)" : value;

    /// <summary>How the page names a value of a context dimension.</summary>
    internal static string Display(ContextDimension dimension, string value) => (dimension, value) switch
    {
        (ContextDimension.Container, "true") => "in a container",
        (ContextDimension.Container, _) => "not in a container",
        (ContextDimension.Ci, "") => "not CI",
        (ContextDimension.Country, "") => "unknown",
        _ => Display(value),
    };
}
