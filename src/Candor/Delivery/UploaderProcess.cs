using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
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

            var arguments = Arguments(program, home, lifetime, waitForLock).ToList();
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
    internal static IEnumerable<string> Arguments(string program, CandorHome home, TimeSpan lifetime, bool waitForLock)
    {
        yield return program;
        yield return home.Root;
        yield return "--lifetime";
        yield return ((long)Math.Ceiling(lifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        if (waitForLock)
        {
            yield return "--wait";
        }
    }

    // A trimmed tool turns startup hooks off: started again, it would then run its own Main, as if the user had.
    private static bool StartupHooksRun() =>
        !AppContext.TryGetSwitch("System.StartupHookProvider.IsSupported", out var supported) || supported;

    internal static bool IsDiagnosticsSetting(string name)
    {
        var setting = name.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase) ? name["DOTNET_".Length..]
            : name.StartsWith("COMPlus_", StringComparison.OrdinalIgnoreCase) ? name["COMPlus_".Length..]
            : null;
        return setting is not null && DiagnosticsPrefixes.Any(prefix => setting.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The .NET host (<c>dotnet</c>) that can run the uploader, or null when this machine has none to be found.</summary>
    internal static string? FindHost()
    {
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } current && string.Equals(Path.GetFileName(current), name, StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        // A framework-dependent tool's runtime lives in {root}/shared/Microsoft.NETCore.App/{version}/, beside its host.
        var candidates = new List<string>();
        if (RuntimeEnvironment.GetRuntimeDirectory() is { Length: > 0 } runtime)
        {
            candidates.Add(Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", name)));
        }

        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root)
        {
            candidates.Add(Path.Combine(root, name));
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(Path.Combine(directory, name));
        }

        return candidates.FirstOrDefault(File.Exists);
    }
}
