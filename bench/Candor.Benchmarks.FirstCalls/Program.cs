using Microsoft.Diagnostics.Tracing;

// first-calls <run.nettrace> [<baseline.nettrace>] [--list]
// Counts, in one traced run, what the runtime prepares once per process: methods entered from precompiled
// (ReadyToRun) code, methods compiled at run time, types loaded and assemblies loaded. With a baseline (the same tool
// without Candor) it counts only what the run adds, and --list prints those items, grouped by the Candor type whose
// method was entered last before them (on any thread, so the grouping is approximate).
if (args.Length is < 1 or > 3)
{
    Console.Error.WriteLine("usage: first-calls <run.nettrace> [<baseline.nettrace>] [--list]");
    return 2;
}

var list = args.Contains("--list");
var files = args.Where(a => a != "--list").ToArray();
var run = StartupWork.Read(files[0]);
var baseline = files.Length > 1 ? StartupWork.Read(files[1]).ToHashSet() : [];
var added = run.Where(item => !baseline.Contains(item)).Distinct().ToList();

foreach (var kind in StartupWork.Kinds)
{
    Console.WriteLine($"{kind,-10} {added.Count(i => i.Kind == kind),6}");
}

Console.WriteLine($"{"total",-10} {added.Count,6}");
if (list)
{
    var phase = "(before Candor)";
    foreach (var item in added)
    {
        if (item.Kind == StartupWork.Precompiled && item.Name.StartsWith("Candor.", StringComparison.Ordinal))
        {
            phase = item.Name.Split("::")[0].Split('+')[0];
        }

        Console.WriteLine($"{phase}\t{item.Kind}\t{item.Name}\t{item.Thread}\t{item.Time:F3}");
    }

    // Which threads did the work, and over what span of the run (traced, so slower than an untraced run).
    Console.WriteLine();
    foreach (var thread in added.GroupBy(i => i.Thread))
    {
        Console.WriteLine($"thread {thread.Key}: {thread.Count()} items, {thread.Min(i => i.Time):F1} to {thread.Max(i => i.Time):F1} ms");
    }
}

return 0;

/// <summary>One thing the runtime did once in a run: its kind and what it was done for.</summary>
internal sealed record StartupWork(string Kind, string Name)
{
    // Where and when it was done (not part of what the item is, so a baseline's items still match): the thread, and
    // milliseconds since the trace began.
    public int Thread { get; init; }

    public double Time { get; init; }

    public bool Equals(StartupWork? other) => other is not null && Kind == other.Kind && Name == other.Name;

    public override int GetHashCode() => HashCode.Combine(Kind, Name);

    public const string Precompiled = "r2r";
    public const string Compiled = "jit";
    public const string Type = "type";
    public const string Assembly = "assembly";

    public static readonly string[] Kinds = [Precompiled, Compiled, Type, Assembly];

    // The runtime's events in the order they happened. The trace must hold the runtime provider's loader, JIT and
    // type keywords at the verbose level (bench/exit-time/first-calls.sh says which).
    public static List<StartupWork> Read(string file)
    {
        var work = new List<StartupWork>();
        using var source = new EventPipeEventSource(file);
        source.Clr.MethodR2RGetEntryPoint += e => work.Add(new(Precompiled, $"{e.MethodNamespace}::{e.MethodName}") { Thread = e.ThreadID, Time = e.TimeStampRelativeMSec });
        source.Clr.MethodJittingStarted += e => work.Add(new(Compiled, $"{e.MethodNamespace}::{e.MethodName}") { Thread = e.ThreadID, Time = e.TimeStampRelativeMSec });
        source.Clr.TypeLoadStop += e => work.Add(new(Type, e.TypeName) { Thread = e.ThreadID, Time = e.TimeStampRelativeMSec });
        source.Clr.LoaderAssemblyLoad += e => work.Add(new(Assembly, e.FullyQualifiedAssemblyName.Split(',')[0]) { Thread = e.ThreadID, Time = e.TimeStampRelativeMSec });
        source.Process();
        return work;
    }
}
