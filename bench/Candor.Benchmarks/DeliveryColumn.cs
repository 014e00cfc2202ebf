using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Candor.Benchmarks;

/// <summary>
/// How many events a benchmark process tracked, and how many of them never reached the exporter (tracked minus
/// processed), over all its iterations, warm-up included. The benchmark prints both at cleanup, in lines that start
/// with "//", which BenchmarkDotNet keeps from the benchmark process's output.
/// </summary>
internal sealed class DeliveryColumn(string name, Func<long, long, long> value) : IColumn
{
    public static readonly DeliveryColumn Tracked = new("Tracked", (tracked, _) => tracked);

    public static readonly DeliveryColumn Dropped = new("Dropped", (tracked, processed) => tracked - processed);

    public string Id => "Delivery" + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => name == "Tracked"
        ? "Events tracked by the benchmark process, warm-up included"
        : "Events tracked but not processed (dropped), warm-up included";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        long? tracked = null;
        long? processed = null;
        foreach (var line in summary[benchmarkCase]?.ExecuteResults.SelectMany(result => result.StandardOutput) ?? [])
        {
            tracked = Read(line, "// tracked ") ?? tracked;
            processed = Read(line, "// processed ") ?? processed;
        }

        return tracked is { } t && processed is { } p && t > 0
            ? value(t, p).ToString("N0", CultureInfo.InvariantCulture)
            : "-";
    }

    private static long? Read(string line, string prefix) =>
        line.StartsWith(prefix, StringComparison.Ordinal) && long.TryParse(line.AsSpan(prefix.Length), CultureInfo.InvariantCulture, out var count)
            ? count
            : null;
}
