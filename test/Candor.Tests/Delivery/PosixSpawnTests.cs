using Candor.Delivery;
using Candor.Tests.Support;

namespace Candor.Tests.Delivery;

public sealed class PosixSpawnTests
{
    [Fact]
    public async Task Start_PassesTheArgumentsAndExactlyTheEnvironment_AndLeavesNoZombie()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.False(PosixSpawn.IsSupported);
            return;
        }

        Assert.True(PosixSpawn.IsSupported);
        using var folder = new TempFolder();
        var output = Path.Combine(folder.Path, "out.txt");
        var signals = Path.Combine(folder.Path, "signals.txt");
        string[] arguments = ["-c", "printf '%s|%s|%s' \"$1\" \"$GIVEN\" \"${HOME-unset}\" > \"$2\"; exec grep -E '^Sig(Ign|Blk)' /proc/self/status > \"$3\"", "sh", "two words, één", output, signals];

        Assert.True(PosixSpawn.TryStart("/bin/sh", arguments, ["GIVEN=a=b c", "PATH=/usr/bin:/bin"], out var pid));

        // The arguments arrive as given, and the environment holds only what was given (no HOME).
        Assert.Equal("two words, één|a=b c|unset", await ReadWhenWrittenAsync(output));
        if (OperatingSystem.IsLinux())
        {
            // SIGPIPE (bit 13) is ignored in this process, as the runtime ignores it; the child has it back at its
            // default, and blocks no signal.
            // Read by grep in place of the shell (exec), which blocks every signal while it waits for a child.
            var masks = (await ReadWhenWrittenAsync(signals)).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(':')[0], l => Convert.ToUInt64(l.Split(':')[1].Trim(), 16));
            Assert.Equal(0UL, masks["SigIgn"] & (1UL << 12));
            Assert.Equal(0UL, masks["SigBlk"]);
        }

        // Once it has ended, the next start collects its exit status: it stays no zombie.
        await WaitAsync(() => State(pid) is 'Z' or null);
        Assert.True(PosixSpawn.TryStart("/bin/sh", ["-c", "exit 0"], [], out var next));
        Assert.Null(State(pid));
        await WaitAsync(() => State(next) is 'Z' or null);
    }

    [Fact]
    public void Start_ProgramMissing_ReturnsFalseOrAChildThatFailsToRun()
    {
        if (!PosixSpawn.IsSupported)
        {
            return;
        }

        // glibc reports a program it cannot execute as an error of posix_spawn; other C libraries start a child that
        // exits with 127. Either way, nothing throws.
        var started = PosixSpawn.TryStart("/nonexistent/candor-upload", [], [], out var pid);
        Assert.True(!started || pid > 0);
    }

    // The process's state letter from /proc (Linux), or null once the process is gone; elsewhere from ps.
    private static char? State(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..][0];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        using var ps = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ps", ["-o", "stat=", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        var line = ps.StandardOutput.ReadToEnd().Trim();
        ps.WaitForExit();
        return line.Length > 0 ? line[0] : null;
    }

    private static async Task<string> ReadWhenWrittenAsync(string path)
    {
        await WaitAsync(() => File.Exists(path) && new FileInfo(path).Length > 0);
        await Task.Delay(50);
        return await File.ReadAllTextAsync(path);
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the child did not get there within a minute");
            await Task.Delay(20);
        }
    }
}
