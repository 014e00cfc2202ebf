using System.Runtime.InteropServices;
using Candor.Tracking;

namespace Candor.Tests.Tracking;

public sealed class BackgroundThreadTests
{
    [Fact]
    public async Task Start_RunsTheWork_OnANamedBackgroundThreadOfItsOwn()
    {
        var ran = new TaskCompletionSource<(int Id, bool Background, string? Name)>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Taken now: after the await the test goes on on whichever thread, maybe one that took the ended thread's ID.
        var caller = Environment.CurrentManagedThreadId;

        BackgroundThread.Start(() => ran.SetResult((Environment.CurrentManagedThreadId, Thread.CurrentThread.IsBackground, Thread.CurrentThread.Name)), "Candor test");

        var (id, background, name) = await ran.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(caller, id);
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
    public async Task Start_OnLinux_GivesTheThreadTheRuntimesStackSize_NotTheCLibrarysDefault()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // musl's default is 128 KiB and glibc's the stack limit (8 MiB here): only a size set on purpose is 1.5 MiB.
        var size = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        BackgroundThread.Start(() => size.SetResult(OwnStackSize()), "Candor stack");

        Assert.Equal(1536 * 1024, await size.Task.WaitAsync(TimeSpan.FromSeconds(30)));
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

    // pthread_getattr_np and pthread_attr_getstacksize of the calling thread, found in the process's own symbols.
    private static long OwnStackSize()
    {
        var process = NativeLibrary.GetMainProgramHandle();
        var self = Marshal.GetDelegateForFunctionPointer<Self>(NativeLibrary.GetExport(process, "pthread_self"));
        var attributes = Marshal.GetDelegateForFunctionPointer<Attributes>(NativeLibrary.GetExport(process, "pthread_getattr_np"));
        var stackSize = Marshal.GetDelegateForFunctionPointer<StackSize>(NativeLibrary.GetExport(process, "pthread_attr_getstacksize"));
        var destroy = Marshal.GetDelegateForFunctionPointer<Destroy>(NativeLibrary.GetExport(process, "pthread_attr_destroy"));
        var attribute = new byte[128];
        Assert.Equal(0, attributes(self(), attribute));
        try
        {
            Assert.Equal(0, stackSize(attribute, out var size));
            return size;
        }
        finally
        {
            destroy(attribute);
        }
    }

    private delegate nint Self();

    private delegate int Attributes(nint thread, byte[] attribute);

    private delegate int StackSize(byte[] attribute, out nint size);

    private delegate int Destroy(byte[] attribute);
}
