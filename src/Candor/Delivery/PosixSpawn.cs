using System.Runtime.InteropServices;
using System.Text;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>
/// Starts a detached process with the C library's <c>posix_spawn</c>, on Linux, macOS and FreeBSD: its standard
/// streams on <c>/dev/null</c>, the signal the runtime ignores (<c>SIGPIPE</c>) back to its default and no signal
/// blocked, as the runtime's own process start leaves them. The uploader is started this way because
/// <see cref="System.Diagnostics.Process"/> costs a run that exits about ten milliseconds of loading and compiling
/// (System.Diagnostics.Process and the assemblies behind it), which every run with telemetry on would pay.
/// </summary>
/// <remarks>
/// The runtime reaps only the children its <c>Process</c> started, so this one reaps its own: each start first
/// collects the children of earlier starts that have ended, and a process that exits leaves its child to the
/// system. A long-running tool keeps at most the last uploader's exit status until its next start.
/// </remarks>
internal static unsafe class PosixSpawn
{
    private const int ReadOnly = 0;
    private const int WriteOnly = 1;
    private const int SetSignalDefaults = 0x04; // POSIX_SPAWN_SETSIGDEF, the same on Linux, macOS and FreeBSD
    private const int SetSignalMask = 0x08; // POSIX_SPAWN_SETSIGMASK
    private const int SignalPipe = 13; // SIGPIPE, the same on Linux, macOS and FreeBSD
    private const int NoHang = 1; // WNOHANG

    // Larger than posix_spawnattr_t, posix_spawn_file_actions_t and sigset_t on every platform (glibc: 336, 80 and 128
    // bytes; macOS and FreeBSD keep a pointer).
    private const int OpaqueSize = 512;

    private static readonly delegate* unmanaged<int*, byte*, void*, void*, byte**, byte**, int> PosixSpawnCall = (delegate* unmanaged<int*, byte*, void*, void*, byte**, byte**, int>)ProcessSymbols.Find("posix_spawn");
    private static readonly delegate* unmanaged<void*, int> ActionsInit = (delegate* unmanaged<void*, int>)ProcessSymbols.Find("posix_spawn_file_actions_init");
    private static readonly delegate* unmanaged<void*, int, byte*, int, uint, int> ActionsOpen = (delegate* unmanaged<void*, int, byte*, int, uint, int>)ProcessSymbols.Find("posix_spawn_file_actions_addopen");
    private static readonly delegate* unmanaged<void*, int> ActionsDestroy = (delegate* unmanaged<void*, int>)ProcessSymbols.Find("posix_spawn_file_actions_destroy");
    private static readonly delegate* unmanaged<void*, int> AttributesInit = (delegate* unmanaged<void*, int>)ProcessSymbols.Find("posix_spawnattr_init");
    private static readonly delegate* unmanaged<void*, short, int> AttributesFlags = (delegate* unmanaged<void*, short, int>)ProcessSymbols.Find("posix_spawnattr_setflags");
    private static readonly delegate* unmanaged<void*, void*, int> AttributesMask = (delegate* unmanaged<void*, void*, int>)ProcessSymbols.Find("posix_spawnattr_setsigmask");
    private static readonly delegate* unmanaged<void*, void*, int> AttributesDefaults = (delegate* unmanaged<void*, void*, int>)ProcessSymbols.Find("posix_spawnattr_setsigdefault");
    private static readonly delegate* unmanaged<void*, int> AttributesDestroy = (delegate* unmanaged<void*, int>)ProcessSymbols.Find("posix_spawnattr_destroy");
    private static readonly delegate* unmanaged<void*, int> SignalsEmpty = (delegate* unmanaged<void*, int>)ProcessSymbols.Find("sigemptyset");
    private static readonly delegate* unmanaged<void*, int, int> SignalsAdd = (delegate* unmanaged<void*, int, int>)ProcessSymbols.Find("sigaddset");
    private static readonly delegate* unmanaged<int, int*, int, int> WaitPid = (delegate* unmanaged<int, int*, int, int>)ProcessSymbols.Find("waitpid");

    private static readonly List<int> Children = [];

    /// <summary>Whether this platform starts processes this way; elsewhere callers use <see cref="System.Diagnostics.Process"/>.</summary>
    public static bool IsSupported =>
        PosixSpawnCall != null && ActionsInit != null && ActionsOpen != null && ActionsDestroy != null && AttributesInit != null
        && AttributesFlags != null && AttributesMask != null && AttributesDefaults != null && AttributesDestroy != null
        && SignalsEmpty != null && SignalsAdd != null && WaitPid != null;

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="arguments"/> (after the program name) and exactly
    /// the <paramref name="environment"/> given (<c>NAME=value</c> each), without waiting for it. Returns whether it
    /// started, and its process ID.
    /// </summary>
    public static bool TryStart(string executable, IReadOnlyList<string> arguments, IReadOnlyList<string> environment, out int pid)
    {
        pid = 0;
        if (!IsSupported)
        {
            return false;
        }

        ReapEnded();
        var argv = new NativeStrings([executable, .. arguments]);
        var envp = new NativeStrings(environment);
        try
        {
            return Spawn(argv.Pointers, envp.Pointers, out pid);
        }
        finally
        {
            argv.Dispose();
            envp.Dispose();
        }
    }

    // No C call in a finally block: the runtime cannot make one in place there, and a method that has one is left out
    // of the ReadyToRun image and compiled when it first runs.
    private static bool Spawn(byte** argv, byte** envp, out int pid)
    {
        pid = 0;
        var actions = stackalloc byte[OpaqueSize];
        var attributes = stackalloc byte[OpaqueSize];
        var signals = stackalloc byte[OpaqueSize];
        if (ActionsInit(actions) != 0)
        {
            return false;
        }

        if (AttributesInit(attributes) != 0)
        {
            ActionsDestroy(actions);
            return false;
        }

        var child = 0;
        var result = -1;
        fixed (byte* devNull = "/dev/null\0"u8)
        {
            if (ActionsOpen(actions, 0, devNull, ReadOnly, 0) == 0
                && ActionsOpen(actions, 1, devNull, WriteOnly, 0) == 0
                && ActionsOpen(actions, 2, devNull, WriteOnly, 0) == 0
                && SignalsEmpty(signals) == 0
                && AttributesMask(attributes, signals) == 0
                && SignalsAdd(signals, SignalPipe) == 0
                && AttributesDefaults(attributes, signals) == 0
                && AttributesFlags(attributes, SetSignalDefaults | SetSignalMask) == 0)
            {
                result = PosixSpawnCall(&child, argv[0], actions, attributes, argv, envp);
            }
        }

        AttributesDestroy(attributes);
        ActionsDestroy(actions);
        if (result != 0)
        {
            return false;
        }

        lock (Children)
        {
            Children.Add(child);
        }

        pid = child;
        return true;
    }

    // Collects the exit status of the children earlier starts left that have ended, so none stays a zombie.
    private static void ReapEnded()
    {
        lock (Children)
        {
            Children.RemoveAll(HasEnded);
        }
    }

    // Collects the child's exit status if it has ended; also true when it is no child of this process any more.
    private static bool HasEnded(int pid)
    {
        int status;
        return WaitPid(pid, &status, NoHang) != 0;
    }

    /// <summary>A null-terminated array of null-terminated UTF-8 strings in native memory, as <c>execve</c> takes them.</summary>
    private readonly struct NativeStrings : IDisposable
    {
        public NativeStrings(IReadOnlyList<string> list)
        {
            Pointers = (byte**)NativeMemory.AllocZeroed((nuint)(list.Count + 1), (nuint)sizeof(byte*));
            for (var i = 0; i < list.Count; i++)
            {
                var length = Encoding.UTF8.GetByteCount(list[i]);
                var text = (byte*)NativeMemory.AllocZeroed((nuint)length + 1);
                Encoding.UTF8.GetBytes(list[i], new Span<byte>(text, length));
                Pointers[i] = text;
            }
        }

        public byte** Pointers { get; }

        public void Dispose()
        {
            for (var i = 0; Pointers[i] != null; i++)
            {
                NativeMemory.Free(Pointers[i]);
            }

            NativeMemory.Free(Pointers);
        }
    }
}
