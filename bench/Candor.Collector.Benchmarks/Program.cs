using Candor.Collector.Benchmarks;

// dotnet run -c Release --project bench/Candor.Collector.Benchmarks -- ingest|sustain|query [--name value ...]
var arguments = new Arguments(args);
Console.WriteLine($"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
switch (arguments.Mode)
{
    case "ingest":
        await IngestionBenchmark.RunAsync(arguments);
        return 0;
    case "sustain":
        await SustainedLoadBenchmark.RunAsync(arguments);
        return 0;
    case "query":
        await QueryBenchmark.RunAsync(arguments);
        return 0;
    default:
        Console.Error.WriteLine("""
            usage: Candor.Collector.Benchmarks ingest [--events 1000000] [--connections 4] [--seconds 120] [--warmup 200000]
                   Candor.Collector.Benchmarks sustain [--percent 80] [--seconds 60] [--capacity-seconds 20] [--burst-connections 128] [--burst-batch 500] [--burst-seconds 20] [--quiet-seconds 30]
                   Candor.Collector.Benchmarks query  [--events 10000000] [--repeat 30] [--data <folder>]
            """);
        return 1;
}
