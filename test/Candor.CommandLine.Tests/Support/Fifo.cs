using System.Diagnostics;

namespace Candor.CommandLine.Tests.Support;

/// <summary>Named pipes (FIFOs) made with <c>mkfifo</c>, which .NET has no API for.</summary>
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
