using Candor.Tracking;

namespace Candor.Tests.Tracking;

public sealed class BackgroundThreadTests
{
    [Fact]
    public async Task Start_RunsTheWork_OnANamedBackgroundThreadOfItsOwn()
    {
        var ran = new TaskCompletionSource<(int Id, bool Background, string? Name)>(TaskCreationOptions.RunContinuationsAsynchronously);

        BackgroundThread.Start(() => ran.SetResult((Environment.CurrentManagedThreadId, Thread.CurrentThread.IsBackground, Thread.CurrentThread.Name)), "Candor test");

        var (id, background, name) = await ran.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(Environment.CurrentManagedThreadId, id);
        Assert.True(background);
        Assert.Equal("Candor test", name);
    }

    [Fact]
    public void Start_OnLinux_TheThreadIsListedByItsName_AsSoonAsStartReturns()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var release = new ManualResetEventSlim();
        var name = "Candor " + Random.Shared.Next(10_000, 99_999);

        BackgroundThread.Start(() => release.Wait(TimeSpan.FromSeconds(30)), name);

        // Before the thread has necessarily run anything: the start-up probe lists threads right after the client is built.
        var listed = Directory.GetDirectories("/proc/self/task").Select(task => ReadName(task)).ToList();
        release.Set();
        Assert.Contains(name, listed);
    }

    [Fact]
    public void Start_WorkThatThrows_EndsItsThread_NotTheProcess()
    {
        using var after = new ManualResetEventSlim();

        BackgroundThread.Start(() => throw new InvalidOperationException("thrown on purpose"), "Candor throws");
        BackgroundThread.Start(after.Set, "Candor after");

        Assert.True(after.Wait(TimeSpan.FromSeconds(30)));
    }

    private static string ReadName(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
        }
        catch (IOException)
        {
            // The task ended meanwhile.
            return "";
        }
    }
}
