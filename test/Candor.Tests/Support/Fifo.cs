using System.Diagnostics;

namespace Candor.Tests.Support;

/// <summary>Named pipes (FIFOs) made with <c>mkfifo</c>, which .NET has no API for; none exist on Windows.</summary>
internal static class Fifo
{
    /// <summary>Makes a FIFO at <paramref name="path"/>: opening it for reading waits until someone opens it for writing.</summary>
    public static void Make(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo") { ArgumentList = { path }, UseShellExecute = false })!;
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "mkfifo did not finish");
        Assert.Equal(0, process.ExitCode);
    }
}

/// <summary>Runs what could hang on another thread and fails the test, rather than hanging it, when it does.</summary>
internal static class Bounded
{
    // Far longer than any of these calls takes: the point is to fail instead of hanging, never to time anything.
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static T Run<T>(Func<T> call, string what)
    {
        var task = Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(Limit), $"{what} did not return: it waits on something that never comes");
        return task.Result;
    }

    public static void Run(Action call, string what) => Run(() =>
    {
        call();
        return true;
    }, what);
}
