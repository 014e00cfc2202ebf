using BenchmarkDotNet.Running;
using Candor.Benchmarks;

if (args is ["rate", ..])
{
    SustainedRate.Run(args);
    return;
}

if (args is ["serialize", ..])
{
    SerializerLoop.Run();
    return;
}

if (args is ["profile", ..])
{
    ProfileLoop.Run(args);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
