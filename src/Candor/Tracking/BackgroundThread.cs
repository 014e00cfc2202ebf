using System.Runtime.InteropServices;
using Candor.Diagnostics;
using Candor.Storage;

namespace Candor.Tracking;

/// <summary>
/// Starts a background thread without waiting for it. <see cref="Thread.Start()"/> returns only once the new thread
/// runs in the runtime: 0.7 to 1 ms of the tool's own time in every recording run on the benchmark machine, most of
/// it waiting for the scheduler to run the new thread. On Linux, macOS and FreeBSD the thread is made with the C
/// library's <c>pthread_create</c> instead (found in the process's own symbols, <see cref="ProcessSymbols"/>), which
/// returns at once, and the thread joins the runtime on its own time when it first runs managed code, as a
/// background thread (the runtime marks every thread that enters it from native code so). Elsewhere, or when the
/// thread cannot be made so, it is a <see cref="Thread"/>.
/// </summary>
internal static unsafe class BackgroundThread
{
    // An OS thread name holds 15 bytes and a closing zero on Linux.
    private const int MaxNameBytes = 15;

    // The runtime's own default for the threads it makes. The C library's default is 8 MiB on glibc but 128 KiB on
    // musl and 512 KiB on macOS, too little for a tool whose code is compiled at run time on this thread.
    private const nint StackBytes = 1536 * 1024;

    // pthread_attr_t is 56 or 64 bytes on the platforms here; it is given more and left to the C library to fill.
    private const int AttributeWords = 16;

    private static readonly delegate* unmanaged<nint*, nint, delegate* unmanaged<nint, nint>, nint, int> Create =
        (delegate* unmanaged<nint*, nint, delegate* unmanaged<nint, nint>, nint, int>)ProcessSymbols.Find("pthread_create");

    private static readonly delegate* unmanaged<nint, int> Detach = (delegate* unmanaged<nint, int>)ProcessSymbols.Find("pthread_detach");
    private static readonly delegate* unmanaged<long*, int> AttributesInit = (delegate* unmanaged<long*, int>)ProcessSymbols.Find("pthread_attr_init");
    private static readonly delegate* unmanaged<long*, nint, int> SetStackSize = (delegate* unmanaged<long*, nint, int>)ProcessSymbols.Find("pthread_attr_setstacksize");
    private static readonly delegate* unmanaged<long*, int> AttributesDestroy = (delegate* unmanaged<long*, int>)ProcessSymbols.Find("pthread_attr_destroy");

    // Linux names another thread; macOS and FreeBSD only the calling one, which the thread's first managed code does.
    private static readonly delegate* unmanaged<nint, byte*, int> SetName =
        OperatingSystem.IsLinux() ? (delegate* unmanaged<nint, byte*, int>)ProcessSymbols.Find("pthread_setname_np") : null;

    /// <summary>Starts <paramref name="run"/> on a new background thread named <paramref name="name"/>; returns at once.</summary>
    /// <remarks><paramref name="run"/> must not throw: what escapes it is logged to Candor's own log and goes no further.</remarks>
    public static void Start(Action run, string name)
    {
        if (Create != null && Detach != null && AttributesInit != null && SetStackSize != null && AttributesDestroy != null)
        {
            var work = GCHandle.Alloc(new Work(run, name));
            var attributes = stackalloc long[AttributeWords];
            nint thread = 0;
            var created = AttributesInit(attributes) == 0;
            if (created)
            {
                created = SetStackSize(attributes, StackBytes) == 0 && Create(&thread, (nint)attributes, &Run, GCHandle.ToIntPtr(work)) == 0;
                _ = AttributesDestroy(attributes);
            }

            if (created)
            {
                // Named from here too on Linux, so that whoever lists the process's threads at once sees the name.
                if (SetName != null)
                {
                    Span<byte> text = stackalloc byte[MaxNameBytes + 1];
                    var length = Math.Min(name.Length, MaxNameBytes);
                    for (var i = 0; i < length; i++)
                    {
                        text[i] = name[i] < 0x80 ? (byte)name[i] : (byte)'?';
                    }

                    text[length] = 0;
                    fixed (byte* bytes = text)
                    {
                        _ = SetName(thread, bytes);
                    }
                }

                // Nobody joins it: its resources go when it ends.
                _ = Detach(thread);
                return;
            }

            work.Free();
        }

        new Thread(() => Guarded(run)) { IsBackground = true, Name = name }.UnsafeStart();
    }

    [UnmanagedCallersOnly]
    private static nint Run(nint state)
    {
        var handle = GCHandle.FromIntPtr(state);
        var work = (Work)handle.Target!;
        handle.Free();

        // Nothing may escape into native code: the process would end.
        try
        {
            Thread.CurrentThread.Name = work.Name;
        }
        catch (InvalidOperationException)
        {
            // Named already: only the name for debuggers is missing.
        }

        Guarded(work.Run);
        return 0;
    }

    private static void Guarded(Action run)
    {
        try
        {
            run();
        }
        catch (Exception ex)
        {
            SelfLog.Failure("running a background thread", ex);
        }
    }

    private sealed record Work(Action Run, string Name);
}
