using BenchmarkDotNet.Configs;

namespace Candor.Benchmarks;

/// <summary>What <see cref="TrackEventBenchmarks"/> reports besides time and allocations: CPU on every thread, and what was dropped.</summary>
internal sealed class TrackingConfig : ManualConfig
{
    public TrackingConfig()
    {
        AddDiagnoser(new ProcessCpuDiagnoser());
        AddColumn(DeliveryColumn.Tracked, DeliveryColumn.Dropped);
    }
}
