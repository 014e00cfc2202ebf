using System.Diagnostics;
using BenchmarkDotNet.Analysers;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;

namespace Candor.Benchmarks;

/// <summary>
/// The CPU time of the whole benchmark process, every thread, during the measured iterations, per operation. The
/// mean BenchmarkDotNet reports is wall time on the calling thread, which leaves out what a library's background
/// thread does on another core at the same moment; this column counts it.
/// </summary>
/// <remarks>
/// Read from outside the benchmark process (its total processor time, as the kernel accounts it) when the measured
/// run starts and ends. The kernel's accounting has a tick of about 10 ms, so a run should last seconds; the actual
/// run of a default job does. It includes the measuring loop itself and the runtime's own threads (the GC's work,
/// which is a real cost of what allocates), so it is an upper bound on what the library does.
/// </remarks>
internal sealed class ProcessCpuDiagnoser : IDiagnoser
{
    private readonly Dictionary<BenchmarkCase, TimeSpan> _started = [];
    private readonly Dictionary<BenchmarkCase, TimeSpan> _spent = [];

    public IEnumerable<string> Ids => ["ProcessCpu"];

    public IEnumerable<IExporter> Exporters => [];

    public IEnumerable<IAnalyser> Analysers => [];

    public RunMode GetRunMode(BenchmarkCase benchmarkCase) => RunMode.NoOverhead;

    public void Handle(HostSignal signal, DiagnoserActionParameters parameters)
    {
        if (signal is not (HostSignal.BeforeActualRun or HostSignal.AfterActualRun) || parameters.Process is not { } process)
        {
            return;
        }

        process.Refresh();
        var now = process.TotalProcessorTime;
        if (signal == HostSignal.BeforeActualRun)
        {
            _started[parameters.BenchmarkCase] = now;
        }
        else if (_started.TryGetValue(parameters.BenchmarkCase, out var started))
        {
            _spent[parameters.BenchmarkCase] = now - started;
        }
    }

    public IEnumerable<Metric> ProcessResults(DiagnoserResults results)
    {
        // The operations of the measured iterations only, the span the CPU was read over: TotalOperations also counts
        // the pilot and warm-up iterations, which divided the measured CPU by three to four times too many operations,
        // and by a different factor for each benchmark (the pilot's count depends on its time per operation).
        var measured = results.Measurements
            .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Actual)
            .Sum(m => m.Operations);
        if (_spent.TryGetValue(results.BenchmarkCase, out var spent) && measured > 0)
        {
            yield return new Metric(CpuPerOperation.Instance, spent.TotalNanoseconds / measured);
        }
    }

    public void DisplayResults(ILogger logger)
    {
    }

    public IEnumerable<ValidationError> Validate(ValidationParameters validationParameters) => [];

    private sealed class CpuPerOperation : IMetricDescriptor
    {
        public static readonly CpuPerOperation Instance = new();

        public string Id => "ProcessCpuPerOp";

        public string DisplayName => "CPU, all threads";

        public string Legend => "CPU time of the benchmark process, every thread, per operation during the measured iterations";

        public string NumberFormat => "N1";

        public UnitType UnitType => UnitType.Time;

        public string Unit => "ns";

        public bool TheGreaterTheBetter => false;

        public int PriorityInCategory => 0;

        public bool GetIsAvailable(Metric metric) => true;
    }
}
