using System.Buffers.Text;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Candor.Json;
using Candor.Storage;

namespace Candor.Delivery;

/// <summary>Starts the detached uploader for a Candor home; the seam that lets tests run it in process.</summary>
internal interface IUploaderStarter
{
    /// <summary>
    /// Starts an uploader for <paramref name="home"/> without waiting for it. With <paramref name="waitForLock"/>, it
    /// waits a little for the home's upload lock (this process holds it, and is exiting). Returns whether one was
    /// started. Never throws.
    /// </summary>
    bool TryStart(CandorHome home, TimeSpan lifetime, bool waitForLock);
}

/// <summary>
/// Starts <c>candor-upload</c>, the small program the <c>Candor</c> package puts in a <c>candor-upload/</c> folder
/// beside the tool, with the machine's .NET host: the host that runs the tool, else the one the runtime lives in,
/// <c>DOTNET_ROOT</c>'s, or the first <c>dotnet</c> on the path (a self-contained or Native AOT tool on a machine
/// with .NET). The child's standard streams are not the tool's, so a shell that captures the tool's output does not
/// wait for it (<see cref="PosixSpawn"/>); it lowers its own priority. Without a host or the program, nothing is started and the events
/// wait for a later run.
/// </summary>
internal sealed class UploaderProcess : IUploaderStarter
{
    /// <summary>The folder, beside the tool's assemblies, that holds the uploader.</summary>
    public const string Folder = "candor-upload";

    /// <summary>The uploader's assembly in <see cref="Folder"/>.</summary>
    public const string Assembly = "candor-upload.dll";

    // Runtime settings that make a process write trace, dump, log or JIT output to files or ports named for the tool,
    // or run the tool's startup hooks.
    private static readonly string[] DiagnosticsPrefixes = ["STARTUP_HOOKS", "EnableEventPipe", "EventPipe", "DiagnosticPorts", "Jit", "DbgEnableMiniDump", "DbgMiniDump", "CreateDumpDiagnostics", "EnableCrashReport", "LogEnable", "LogFacility", "LogLevel", "LogFile"];

    public static UploaderProcess Instance { get; } = new();

    public bool TryStart(CandorHome home, TimeSpan lifetime, bool waitForLock)
    {
        try
        {
            var program = Path.Combine(AppContext.BaseDirectory, Folder, Assembly);
            var host = File.Exists(program) ? FindHost() : null;

            // Without a host, the tool's own executable can be the uploader: compiled ahead of time always, compiled at
            // run time when the uploader can be its startup hook.
            var selfHosted = SelfHostedUploader.IsCompiledAheadOfTime || (File.Exists(program) && StartupHooksRun());
            if ((host ?? (selfHosted ? Environment.ProcessPath : null)) is not { } executable)
            {
                return false;
            }

            // The runtime's diagnostics settings and startup hooks are the tool's: an uploader that kept them would
            // write into the tool's trace, dump or JIT output files, or run the tool's hooks.
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
            {
                if (variable.Key is string name && !IsDiagnosticsSetting(name))
                {
                    environment[name] = variable.Value as string ?? "";
                }
            }

            var arguments = Arguments(program, home, lifetime, waitForLock);
            if (host is null)
            {
                // No .NET host on the machine (a self-contained or Native AOT tool): the tool's own executable is the
                // uploader, run by the SDK's code before the tool's Main (see SelfHostedUploader).
                environment[SelfHostedUploader.Variable] = home.Root;
                environment[SelfHostedUploader.ArgumentsVariable] = string.Join(' ', arguments.Skip(2));
                if (!SelfHostedUploader.IsCompiledAheadOfTime)
                {
                    environment[SelfHostedUploader.StartupHooksVariable] = program;
                }

                arguments.Clear();
            }

            if (!PosixSpawn.IsSupported)
            {
                return StartWithProcess(executable, arguments, environment);
            }

            var entries = new List<string>(environment.Count);
            foreach (var (name, value) in environment)
            {
                entries.Add(name + "=" + value);
            }

            return PosixSpawn.TryStart(executable, arguments, entries, out _);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    // Where the C library's posix_spawn is missing (Windows). The child gets no console and pipes nobody reads, not
    // the tool's own streams: a pipe the tool writes to (`$(tool)`, `tool | less`) would stay open, and its reader
    // waiting, until the uploader ended. The uploader writes nothing.
    private static bool StartWithProcess(string executable, List<string> arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        try
        {
            using var process = Process.Start(start);
            return process is not null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>The uploader's command line after the host: <c>candor-upload.dll home --lifetime seconds [--wait]</c>.</summary>
    internal static List<string> Arguments(string program, CandorHome home, TimeSpan lifetime, bool waitForLock)
    {
        List<string> arguments = [program, home.Root, "--lifetime", WholeSeconds(lifetime)];
        if (waitForLock)
        {
            arguments.Add("--wait");
        }

        return arguments;
    }

    // Whole seconds, rounded up, in digits: formatting with a culture, the invariant one included, sets up the
    // globalization data, a few milliseconds of the exit of every run that starts an uploader.
    private static string WholeSeconds(TimeSpan lifetime)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat((long)Math.Ceiling(lifetime.TotalSeconds), digits, out var written);
        return Utf8Text.Decode(digits[..written]);
    }

    // A trimmed tool turns startup hooks off: started again, it would then run its own Main, as if the user had.
    private static bool StartupHooksRun() =>
        !AppContext.TryGetSwitch("System.StartupHookProvider.IsSupported", out var supported) || supported;

    // Loops over the ASCII names rather than LINQ and case-insensitive comparisons: every variable of the tool's
    // environment is looked at in the exit of a run that starts an uploader.
    internal static bool IsDiagnosticsSetting(string name)
    {
        var setting = StartsWithIgnoringCase(name, "DOTNET_") ? name.AsSpan("DOTNET_".Length)
            : StartsWithIgnoringCase(name, "COMPlus_") ? name.AsSpan("COMPlus_".Length)
            : default;
        if (setting.IsEmpty)
        {
            return false;
        }

        foreach (var prefix in DiagnosticsPrefixes)
        {
            if (StartsWithIgnoringCase(setting, prefix))
            {
                return true;
            }
        }

        return false;
    }

    private static bool StartsWithIgnoringCase(ReadOnlySpan<char> text, string prefix) =>
        text.Length >= prefix.Length && Ascii.EqualsIgnoreCase(text[..prefix.Length], prefix);

    /// <summary>The .NET host (<c>dotnet</c>) that can run the uploader, or null when this machine has none to be found.</summary>
    /// <remarks>
    /// Looked for in order, and no further than the first that exists: beside the runtime the tool runs on (a
    /// framework-dependent tool's runtime lives in <c>{root}/shared/Microsoft.NETCore.App/{version}/</c>, beside the
    /// host that runs it), the process itself (a host found elsewhere), in <c>DOTNET_ROOT</c>, on the path. The
    /// runtime's folder is that of the assembly that holds <see cref="object"/>, as
    /// <c>RuntimeEnvironment.GetRuntimeDirectory</c> finds it, without loading the assembly that type lives in. The
    /// process's own path comes second: <see cref="Environment.ProcessPath"/> decodes it, the run's first use of the
    /// runtime's UTF-8 decoder, about a millisecond of the exit of every run that starts an uploader.
    /// </remarks>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "Empty in a single-file tool, which has no runtime folder beside a host: the other places are looked in.")]
    internal static string? FindHost()
    {
        var windows = OperatingSystem.IsWindows();
        var name = windows ? "dotnet.exe" : "dotnet";
        if (Path.GetDirectoryName(typeof(object).Assembly.Location) is { Length: > 0 } runtime
            && Existing(Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", name))) is { } besideRuntime)
        {
            return besideRuntime;
        }

        if (Environment.ProcessPath is { } current && IsHostName(Path.GetFileName(current.AsSpan()), name, windows))
        {
            return current;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && Existing(Path.Combine(root, name)) is { } inRoot)
        {
            return inRoot;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (Existing(Path.Combine(directory, name)) is { } onPath)
            {
                return onPath;
            }
        }

        return null;

        static string? Existing(string path) => File.Exists(path) ? path : null;
    }

    // On Windows the host is named in any case; elsewhere as it is spelled.
    private static bool IsHostName(ReadOnlySpan<char> fileName, string name, bool windows) =>
        windows ? Ascii.EqualsIgnoreCase(fileName, name) : fileName.SequenceEqual(name);
}
