using Candor.Collector.Benchmarks;

// dotnet run -c Release --project bench/Candor.Collector.Benchmarks -- ingest|sustain|query|ingest-postgres|query-postgres [--name value ...]
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
    case "ingest-postgres":
        await PostgresIngestionBenchmark.RunAsync(arguments);
        return 0;
    case "query-postgres":
        await PostgresQueryBenchmark.RunAsync(arguments);
        return 0;
    default:
        Console.Error.WriteLine("""
            usage: Candor.Collector.Benchmarks ingest [--events 1000000] [--connections 4] [--seconds 120] [--warmup 200000]
                   Candor.Collector.Benchmarks sustain [--percent 80] [--seconds 60] [--capacity-seconds 20] [--burst-connections 128] [--burst-batch 500] [--burst-seconds 20] [--quiet-seconds 30]
                   Candor.Collector.Benchmarks query  [--events 10000000] [--repeat 30] [--data <folder>]
                   Candor.Collector.Benchmarks ingest-postgres [--events 400000] [--connections 4] [--seconds 120] [--warmup 50000] [--postgres <connection string>]
                   Candor.Collector.Benchmarks query-postgres [--events 10000000] [--repeat 30] [--postgres <connection string>]
            """);
        return 1;
}
