using System.Globalization;
using Candor.Collector.Products;
using Candor.Collector.Query;
using Candor.Collector.Storage;
using Candor.Manifest;

namespace Candor.Collector.Dashboard;

/// <summary>
/// Plans a product page from the product's manifests and fills it through <see cref="QueryService"/>, so the
/// page hides exactly what the query API hides. The queries run in parallel, as many at a time as there are
/// processors (SQLite answers synchronously, so each runs on its own thread).
/// </summary>
internal sealed class ProductViewBuilder(QueryService queries, TimeProvider time)
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

        await using var plan = new Plan(cancellationToken);
        var events = Events(product);
        var period = filter.To.DayNumber - filter.From.DayNumber < MaxDailyDays ? Interval.Day : Interval.Week;

        var total = plan.Run(() => queries.EventsAsync(scope, Interval.Total, cancellationToken));
        var perPeriod = plan.Run(() => queries.EventsAsync(scope, period, cancellationToken));
        var weekly = plan.Run(() => queries.InstallsAsync(scope, Interval.Week, cancellationToken));
        var monthly = plan.Run(() => queries.InstallsAsync(scope, Interval.Month, cancellationToken));
        var byName = events.Select(e => (e.Name, Task: plan.Run(() => queries.EventsAsync(scope.ForEvent(e.Name), Interval.Total, cancellationToken)))).ToList();
        var properties = events
            .SelectMany(e => e.Fields.Where(IsGroupable).Select(f => (Event: e, Field: f)))
            .Select(x => (x.Event, x.Field, Task: plan.Run(() => queries.ByPropertyAsync(scope.ForEvent(x.Event.Name), x.Field.Name, cancellationToken))))
            .ToList();
        var failures = FailurePairs(events)
            .Select(x => (x.Error, x.Usage, x.Field,
                Overall: plan.Run(() => queries.RatioAsync(scope, x.Error.Name, x.Usage.Name, null, cancellationToken)),
                Task: plan.Run(() => queries.RatioAsync(scope, x.Error.Name, x.Usage.Name, x.Field.Name, cancellationToken))))
            .ToList();
        var durations = events
            .SelectMany(e => e.Fields.Where(f => f.Kind is FieldKind.Duration).Select(f => (Event: e, Field: f)))
            .Select(x => (x.Event, x.Field, Task: plan.Run(() => queries.DurationsAsync(scope.ForEvent(x.Event.Name), x.Field.Name, period, cancellationToken))))
            .ToList();
        var versions = plan.Run(() => queries.SharesAsync(scope, ContextDimension.Version, cancellationToken));
        var platforms = Platforms.Select(p => (p.Dimension, p.Title, p.Description, Task: plan.Run(() => queries.SharesAsync(scope, p.Dimension, cancellationToken)))).ToList();
        var exceptions = events
            .SelectMany(e => e.Fields.Where(f => f.Kind is FieldKind.Stack).Select(f => (Event: e, Field: f)))
            .Select(x => (x.Event, x.Field, Task: plan.Run(() => queries.ExceptionsAsync(scope.ForEvent(x.Event.Name), x.Field.Name, 10, cancellationToken))))
            .ToList();

        // The filters offer every value the page could narrow to, so they ignore their own filter.
        var versionOptions = filter.Version is null ? versions : plan.Run(() => queries.SharesAsync(scope.With(scope.Filter with { Version = null }), ContextDimension.Version, cancellationToken));
        var osOptions = filter.Os is null ? platforms[0].Task : plan.Run(() => queries.SharesAsync(scope.With(scope.Filter with { Os = null }), ContextDimension.Os, cancellationToken));

        var topVersions = (await versions).Rows.Take(AdoptionVersions).Select(r => r.Value).ToList();
        var adoption = topVersions.Select(v => (Version: v, Task: plan.Run(() => queries.InstallsAsync(scope.With(scope.Filter with { Version = v }), period, cancellationToken)))).ToList();

        var totals = await total;
        var hasAnyData = totals.Rows.Count > 0 || totals.Suppressed > 0 || await HasAnyDataAsync(product, cancellationToken);
        var axis = Axis(filter.From, filter.To, period);
        var groups = new List<SectionGroup>
        {
            new("activity", "Activity",
            [
                TimeSection("events", $"Events per {Name(period)}", "Every event the product sent, per period.", axis, await perPeriod, "Events", r => r.Period, r => r.Events, r => r.Installs),
                TimeSection("installs-day", $"Active installs per {Name(period)}", "Distinct installs that sent at least one event in the period.", axis, await perPeriod, "Installs", r => r.Period, r => r.Installs, null),
                TimeSection("installs-week", "Active installs per week", "Distinct installs per week (weeks start on Monday).", Axis(filter.From, filter.To, Interval.Week), await weekly, "Installs", r => r.Period, r => r.Installs, null),
                TimeSection("installs-month", "Active installs per month", "Distinct installs per calendar month.", Axis(filter.From, filter.To, Interval.Month), await monthly, "Installs", r => r.Period, r => r.Installs, null),
            ]),
        };

        var nameRows = new List<(string Name, long Events, long Installs)>();
        var hiddenNames = 0;
        foreach (var (name, task) in byName)
        {
            var result = await task;
            hiddenNames += result.Suppressed;
            nameRows.AddRange(result.Rows.Select(r => (name, r.Events, r.Installs)));
        }

        var usage = new List<Section> { BarSection("by-event", "Events by name", "How often each declared event was sent.", "Event", [.. nameRows.OrderByDescending(r => r.Events)], hiddenNames) };
        foreach (var (e, field, task) in properties)
        {
            var result = (await task).Result!;
            usage.Add(BarSection(
                Id("property", e.Name, field.Name), $"{e.Name}: {field.Name}", field.Description, field.Name,
                [.. result.Rows.Select(r => (Display(r.Value), r.Events, r.Installs))], result.Suppressed));
        }

        groups.Add(new SectionGroup("usage", "Commands and features", usage));

        var failureSections = new List<Section>();
        foreach (var (error, use, field, overallTask, task) in failures)
        {
            var overall = (await overallTask).Result!;
            var result = (await task).Result!;
            failureSections.Add(FailureSection(error, use, field, overall, result));
        }

        if (failureSections.Count > 0)
        {
            groups.Add(new SectionGroup("failures", "Failure rates", failureSections));
        }

        var durationSections = new List<Section>();
        foreach (var (e, field, task) in durations)
        {
            durationSections.Add(DurationSection(e, field, axis, period, (await task).Result!));
        }

        if (durationSections.Count > 0)
        {
            groups.Add(new SectionGroup("durations", "Durations", durationSections));
        }

        var adoptionResults = new List<(string Version, QueryResult<InstallRow> Result)>();
        foreach (var (version, task) in adoption)
        {
            adoptionResults.Add((version, await task));
        }

        groups.Add(new SectionGroup("versions", "Versions",
        [
            ShareSection("version-shares", "Installs by version", "The share of installs on each version of the product.", "Version", await versions, Display),
            AdoptionSection(axis, period, adoptionResults),
        ]));

        var platformSections = new List<Section>();
        foreach (var (dimension, title, description, task) in platforms)
        {
            var result = await task;
            if (dimension is ContextDimension.Country && result.Rows.All(r => r.Value.Length == 0))
            {
                continue;
            }

            platformSections.Add(ShareSection(Id("platform", dimension.ToString()), title, description, title, result, v => Display(dimension, v)));
        }

        groups.Add(new SectionGroup("platforms", "Platforms", platformSections));

        var exceptionSections = new List<Section>();
        foreach (var (e, field, task) in exceptions)
        {
            var result = (await task).Result!;
            exceptionSections.Add(new Section(
                Id("exceptions", e.Name, field.Name), $"Top exception signatures of {e.Name}", field.Description, ChartKind.None, Measure.Count, [], [],
                [new Column("Signature", Measure.Text), new Column("Events", Measure.Count), new Column("Installs", Measure.Count)],
                [.. result.Rows.Select(r => (IReadOnlyList<object>)[r.Signature, r.Events, r.Installs])], result.Suppressed));
        }

        if (exceptionSections.Count > 0)
        {
            groups.Add(new SectionGroup("exceptions", "Exceptions", exceptionSections));
        }

        var summary = totals.Rows.Count > 0 ? totals.Rows[0] : null;
        return new ProductView(
            product, filter, product.Record.KThreshold, time.GetUtcNow(), summary?.Events, summary?.Installs, hasAnyData, groups,
            Options((await versionOptions).Rows.Select(r => r.Value), filter.Version),
            Options((await osOptions).Rows.Select(r => r.Value), filter.Os));
    }

    // Hidden data is still data: a product whose only installs are fewer than k has data, all of it hidden.
    private async Task<bool> HasAnyDataAsync(CatalogProduct product, CancellationToken cancellationToken)
    {
        var today = queries.Today;
        queries.Resolve(new QueryArguments(product.Record.Name, today.AddDays(-QueryService.MaxDays), today), out var everything);
        var result = await Task.Run(() => queries.EventsAsync(everything, Interval.Total, cancellationToken), cancellationToken);
        return result.Rows.Count > 0 || result.Suppressed > 0;
    }

    /// <summary>Every event any revision declares, each once (its newest declaration), in manifest order.</summary>
    private static List<EventDefinition> Events(CatalogProduct product) =>
        [.. product.Revisions.Values.Reverse().SelectMany(m => m.Events).DistinctBy(e => e.Name, StringComparer.Ordinal)];

    // Hashes and signatures group fine but read as noise in a bar chart; signatures have their own section.
    private static bool IsGroupable(FieldDefinition field) => field.Kind switch
    {
        FieldKind.Enum or FieldKind.Bool or FieldKind.Bucket or FieldKind.Version or FieldKind.NameOrHash => true,
        FieldKind.List => field.Item is { } item && IsGroupable(item),
        _ => false,
    };

    /// <summary>Each error event against each usage event, by every groupable property both declare (failing packages per install).</summary>
    private static IEnumerable<(EventDefinition Error, EventDefinition Usage, FieldDefinition Field)> FailurePairs(List<EventDefinition> events) =>
        from error in events
        where error.Level is EventLevel.Error
        from use in events
        where use.Level is EventLevel.Usage
        from field in error.Fields
        where IsGroupable(field) && use.Find(field.Name) is { IsMeasurement: false } shared && IsGroupable(shared)
        select (error, use, field);

    private static Section TimeSection<T>(
        string id, string title, string description, List<DateOnly> axis, QueryResult<T> result, string series,
        Func<T, DateOnly> period, Func<T, long> value, Func<T, long>? installs)
    {
        var byPeriod = result.Rows.ToDictionary(period, value);
        var columns = new List<Column> { new("Period", Measure.Text), new(series, Measure.Count) };
        if (installs is not null)
        {
            columns.Add(new Column("Installs", Measure.Count));
        }

        return new Section(
            id, title, description, ChartKind.Line, Measure.Count,
            [.. axis.Select(DashboardFilter.Day)],
            [new Series(series, [.. axis.Select(d => byPeriod.TryGetValue(d, out var v) ? v : (double?)null)])],
            columns,
            [.. result.Rows.Select(r => installs is null
                ? (IReadOnlyList<object>)[DashboardFilter.Day(period(r)), value(r)]
                : [DashboardFilter.Day(period(r)), value(r), installs(r)])],
            result.Suppressed);
    }

    private static Section BarSection(string id, string title, string description, string valueTitle, List<(string Value, long Events, long Installs)> rows, int suppressed)
    {
        var shown = rows.Take(MaxChartBars).ToList();
        return new Section(
            id, title, description, ChartKind.Bar, Measure.Count,
            [.. shown.Select(r => r.Value)],
            [new Series("Events", [.. shown.Select(r => (double?)r.Events)])],
            [new Column(valueTitle, Measure.Text), new Column("Events", Measure.Count), new Column("Installs", Measure.Count)],
            [.. rows.Take(MaxTableRows).Select(r => (IReadOnlyList<object>)[r.Value, r.Events, r.Installs])],
            suppressed,
            rows.Count > MaxTableRows ? $"The table shows the top {MaxTableRows} of {rows.Count} values." : null);
    }

    private static Section FailureSection(EventDefinition error, EventDefinition use, FieldDefinition field, QueryResult<RatioRow> overall, QueryResult<RatioRow> result)
    {
        var rows = result.Rows.Select(r => r with { Group = Display(r.Group) }).ToList();
        var shown = rows.Take(MaxChartBars).ToList();
        var note = overall.Rows.Count > 0 && overall.Rows[0] is var all
            ? string.Create(CultureInfo.InvariantCulture, $"Overall: {all.Rate:P1} ({all.Numerator:N0} {error.Name} per {all.Denominator:N0} {use.Name}).")
            : $"The overall rate is hidden: fewer than {overall.K} installs sent {use.Name} or {error.Name}.";
        return new Section(
            Id("failure", error.Name, use.Name, field.Name), $"{error.Name} per {use.Name}, by {field.Name}",
            $"How often {error.Name} happened for each {field.Name}, relative to {use.Name}. {error.Purpose}",
            ChartKind.Bar, Measure.Percent,
            [.. shown.Select(r => r.Group)],
            [new Series("Failure rate", [.. shown.Select(r => (double?)r.Rate)])],
            [new Column(field.Name, Measure.Text), new Column(error.Name, Measure.Count), new Column(use.Name, Measure.Count), new Column("Rate", Measure.Percent)],
            [.. rows.Take(MaxTableRows).Select(r => (IReadOnlyList<object>)[r.Group, r.Numerator, r.Denominator, r.Rate])],
            result.Suppressed,
            note);
    }

    private static Section DurationSection(EventDefinition e, FieldDefinition field, List<DateOnly> axis, Interval period, QueryResult<DurationRow> result)
    {
        var byPeriod = result.Rows.ToDictionary(r => r.Period);
        return new Section(
            Id("duration", e.Name, field.Name), $"{e.Name}: {field.Name} per {Name(period)}", $"{field.Description} Percentiles in milliseconds, within 1%.",
            ChartKind.Line, Measure.Milliseconds,
            [.. axis.Select(DashboardFilter.Day)],
            [
                new Series("p50", [.. axis.Select(d => byPeriod.TryGetValue(d, out var r) ? r.P50 : (double?)null)]),
                new Series("p90", [.. axis.Select(d => byPeriod.TryGetValue(d, out var r) ? r.P90 : (double?)null)]),
                new Series("p99", [.. axis.Select(d => byPeriod.TryGetValue(d, out var r) ? r.P99 : (double?)null)]),
            ],
            [new Column("Period", Measure.Text), new Column("Count", Measure.Count), new Column("p50", Measure.Milliseconds), new Column("p90", Measure.Milliseconds), new Column("p99", Measure.Milliseconds)],
            [.. result.Rows.Select(r => (IReadOnlyList<object>)[DashboardFilter.Day(r.Period), r.Count, r.P50, r.P90, r.P99])],
            result.Suppressed);
    }

    private static Section ShareSection(string id, string title, string description, string valueTitle, QueryResult<ShareRow> result, Func<string, string> display)
    {
        var shown = result.Rows.Take(MaxChartBars).ToList();
        return new Section(
            id, title, description, ChartKind.Bar, Measure.Percent,
            [.. shown.Select(r => display(r.Value))],
            [new Series("Share of installs", [.. shown.Select(r => (double?)r.Share)])],
            [new Column(valueTitle, Measure.Text), new Column("Installs", Measure.Count), new Column("Share", Measure.Percent)],
            [.. result.Rows.Take(MaxTableRows).Select(r => (IReadOnlyList<object>)[display(r.Value), r.Installs, r.Share])],
            result.Suppressed);
    }

    private static Section AdoptionSection(List<DateOnly> axis, Interval period, List<(string Version, QueryResult<InstallRow> Result)> versions)
    {
        var byVersion = versions.Select(v => (v.Version, Rows: v.Result.Rows.ToDictionary(r => r.Period, r => r.Installs))).ToList();
        var periods = byVersion.SelectMany(v => v.Rows.Keys).Distinct().Order().ToList();
        return new Section(
            "adoption", $"Version adoption per {Name(period)}", $"Active installs of the {versions.Count} most used versions, per {Name(period)}.",
            ChartKind.Line, Measure.Count,
            [.. axis.Select(DashboardFilter.Day)],
            [.. byVersion.Select(v => new Series(Display(v.Version), [.. axis.Select(d => v.Rows.TryGetValue(d, out var n) ? n : (double?)null)]))],
            [new Column("Period", Measure.Text), .. byVersion.Select(v => new Column(Display(v.Version), Measure.Count))],
            [.. periods.Select(p => (IReadOnlyList<object>)[DashboardFilter.Day(p), .. byVersion.Select(v => v.Rows.TryGetValue(p, out var n) ? (object)n : "hidden")])],
            versions.Sum(v => v.Result.Suppressed));
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

    private static List<string> Options(IEnumerable<string> values, string? selected)
    {
        var options = values.Where(v => v.Length > 0).ToList();
        if (selected is not null && !options.Contains(selected, StringComparer.Ordinal))
        {
            options.Insert(0, selected);
        }

        return options;
    }

    private static string Name(Interval period) => period is Interval.Week ? "week" : "day";

    private static string Id(params string[] parts) =>
        string.Join('-', parts.Select(p => new string([.. p.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')])));

    private static string Display(string value) => value.Length == 0 ? "(none)" : value;

    private static string Display(ContextDimension dimension, string value) => (dimension, value) switch
    {
        (ContextDimension.Container, "true") => "in a container",
        (ContextDimension.Container, _) => "not in a container",
        (ContextDimension.Ci, "") => "not CI",
        (ContextDimension.Country, "") => "unknown",
        _ => Display(value),
    };

    /// <summary>Starts queries on the thread pool, as many at a time as there are processors.</summary>
    // Disposing waits for every query started, so none is left running against the store when a page build fails.
    private sealed class Plan(CancellationToken cancellationToken) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _gate = new(Math.Max(1, Environment.ProcessorCount));
        private readonly List<Task> _started = [];

        public Task<T> Run<T>(Func<Task<T>> query)
        {
            var task = Task.Run(async () =>
            {
                await _gate.WaitAsync(cancellationToken);
                try
                {
                    return await query();
                }
                finally
                {
                    _gate.Release();
                }
            }, cancellationToken);
            lock (_started)
            {
                _started.Add(task);
            }

            return task;
        }

        public async ValueTask DisposeAsync()
        {
            Task[] started;
            lock (_started)
            {
                started = [.. _started];
            }

            await Task.WhenAll(started).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _gate.Dispose();
        }
    }
}
