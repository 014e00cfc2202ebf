using System.Reflection;
using System.Runtime.InteropServices;
using Candor.Json;
using Candor.Platform;
using Candor.Protocol;
using Candor.Storage;

namespace Candor.Context;

/// <summary>
/// Computes the <see cref="MachineContext"/>: a handful of environment lookups and at most five small file
/// reads, done once per process (<see cref="Current"/>). Every file is read through <see cref="IFileSystem"/>
/// under a root folder, so tests give it their own <c>/etc/os-release</c> or <c>/proc/1/cgroup</c>.
/// </summary>
/// <remarks>
/// Notebook detection: Jupyter's kernel launcher (jupyter_client) sets <c>JPY_PARENT_PID</c> in every kernel it
/// starts, whatever the kernel's language, and child processes inherit it. .NET Interactive (Polyglot Notebooks)
/// kernels started by VS Code are not launched by Jupyter, so they are recognised by the host assembly
/// <c>Microsoft.DotNet.Interactive.App</c> (the <c>dotnet-interactive</c> tool) or by
/// <c>DOTNET_INTERACTIVE_FRONTEND_NAME</c>, the variable that tool reads to learn which front end drives it.
/// </remarks>
internal sealed class ContextProbe
{
    private const int MaxNamePart = 32;
    private const string InteractiveHostAssembly = "Microsoft.DotNet.Interactive.App";

    private static readonly string[] ContainerCgroupMarkers = ["docker", "kubepods", "containerd", "podman", "libpod", "lxc"];

    private static readonly Lazy<MachineContext> ProcessContext = new(() => new ContextProbe(ProcessEnvironment.Instance, PhysicalFileSystem.Instance).Detect());

    private readonly IEnvironment _environment;
    private readonly IFileSystem _files;
    private readonly string _root;
    private readonly string _osFamily;
    private readonly Func<bool> _isInteractive;
    private readonly string? _entryAssembly;

    /// <param name="environment">The environment variables.</param>
    /// <param name="files">The file system.</param>
    /// <param name="root">The folder that stands for <c>/</c>; the real root when null.</param>
    /// <param name="osFamily">The OS family; this process's when null.</param>
    /// <param name="isInteractive">Whether a person is at a terminal; from <see cref="Console"/> when null.</param>
    /// <param name="entryAssembly">The name of the process's entry assembly; this process's when null.</param>
    public ContextProbe(IEnvironment environment, IFileSystem files, string? root = null, string? osFamily = null, Func<bool>? isInteractive = null, string? entryAssembly = null)
    {
        _environment = environment;
        _files = files;
        _root = root ?? "/";
        _osFamily = osFamily ?? CurrentOsFamily();
        _isInteractive = isInteractive ?? ConsoleIsInteractive;
        _entryAssembly = entryAssembly ?? SimpleName(Assembly.GetEntryAssembly()?.FullName);
    }

    /// <summary>This process's context, computed on first use. Never throws.</summary>
    public static MachineContext Current => ProcessContext.Value;

    /// <summary>Computes the context. Never throws: what cannot be read is reported as absent.</summary>
    public MachineContext Detect()
    {
        var ci = CiDetector.Detect(_environment);
        var container = IsContainer();
        var host = ci is not null ? "ci"
            : IsNotebook() ? "notebook"
            : container ? "container"
            : "process";
        return new MachineContext(
            _osFamily,
            OsVersion(),
            ArchitectureName(RuntimeInformation.ProcessArchitecture),
            Environment.Version.ToString(),
            ci,
            container,
            IsWsl(),
            SafeInteractive(),
            host);
    }

    /// <summary>
    /// The name in an assembly's display name (<c>Name, Version=…, Culture=…, PublicKeyToken=…</c>).
    /// <see cref="Assembly.GetName()"/> would build the assembly's <c>CultureInfo</c>, which loads ICU: about
    /// 10 ms of CPU time in every run, telemetry off included, for a name compared with one constant.
    /// </summary>
    internal static string? SimpleName(string? displayName)
    {
        var comma = displayName?.IndexOf(',', StringComparison.Ordinal) ?? -1;
        return comma < 0 ? displayName : displayName![..comma];
    }

    private static string CurrentOsFamily() =>
        OperatingSystem.IsLinux() ? "linux"
        : OperatingSystem.IsWindows() ? "windows"
        : OperatingSystem.IsMacOS() || OperatingSystem.IsMacCatalyst() ? "macos"
        : OperatingSystem.IsFreeBSD() ? "freebsd"
        : "other";

    // Named without Enum.ToString, whose reflection costs a few milliseconds; a value added later is still named.
    internal static string ArchitectureName(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "x64",
        Architecture.X86 => "x86",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        _ => AsciiLower(architecture.ToString()),
    };

    private static bool ConsoleIsInteractive() => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    private bool SafeInteractive()
    {
        try
        {
            return _isInteractive();
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }

    // In ContextGrammar's form: a distribution it does not list is reported by its version, and one with neither a
    // listed name nor a numeric version by the kernel's version.
    private string OsVersion()
    {
        if (_osFamily is "linux" or "freebsd")
        {
            var release = ReadText("/etc/os-release") ?? ReadText("/usr/lib/os-release");
            if (release is not null && ContextGrammar.NormalizeOsVersion(ParseOsRelease(release)) is { } name)
            {
                return name;
            }
        }

        return ContextGrammar.NormalizeOsVersion(Environment.OSVersion.Version.ToString()) ?? "0";
    }

    /// <summary>
    /// <c>ID</c> and <c>VERSION_ID</c> from an os-release file, e.g. <c>debian 12</c>; null without an ID.
    /// A value with characters os-release does not allow in these fields is ignored, and each is bounded, so
    /// an odd file cannot smuggle free text into an event.
    /// </summary>
    internal static string? ParseOsRelease(string text)
    {
        // Spans and plain loops rather than Split, LINQ and the Ascii helpers: every recording run parses this file,
        // and each of those is a handful of generic types and first calls for the runtime to prepare.
        string? id = null;
        string? version = null;
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf('\n');
            var line = (end < 0 ? rest : rest[..end]).Trim();
            rest = end < 0 ? default : rest[(end + 1)..];
            var equals = line.IndexOf('=');
            if (equals <= 0 || line[0] == '#')
            {
                continue;
            }

            var key = line[..equals];
            if (key is "ID")
            {
                id = Clean(Unquote(line[(equals + 1)..]));
            }
            else if (key is "VERSION_ID")
            {
                version = Clean(Unquote(line[(equals + 1)..]));
            }
        }

        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        return string.IsNullOrEmpty(version) ? id : $"{id} {version}";
    }

    private static ReadOnlySpan<char> Unquote(ReadOnlySpan<char> value) =>
        value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0] ? value[1..^1] : value;

    // os-release allows only [a-z0-9._-] in ID and VERSION_ID; a value with anything else is not one we send.
    private static string? Clean(ReadOnlySpan<char> value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return null;
            }
        }

        return AsciiLower(value.Length > MaxNamePart ? value[..MaxNamePart] : value);
    }

    // The culture-aware and ordinal-ignore-case helpers (ToLowerInvariant, Contains with OrdinalIgnoreCase) load ICU,
    // a few megabytes and about 15 ms of CPU time, on the first call; every run probes the context, telemetry off
    // included, and these names and files are ASCII.
    private static string AsciiLower(ReadOnlySpan<char> value)
    {
        Span<char> lower = value.Length <= 64 ? stackalloc char[value.Length] : new char[value.Length];
        for (var i = 0; i < value.Length; i++)
        {
            lower[i] = LowerAscii(value[i]);
        }

        return new string(lower);
    }

    private static char LowerAscii(char c) => c is >= 'A' and <= 'Z' ? (char)(c + ('a' - 'A')) : c;

    private static bool ContainsIgnoringCase(string text, string value)
    {
        for (var i = 0; i + value.Length <= text.Length; i++)
        {
            var j = 0;
            while (j < value.Length && LowerAscii(text[i + j]) == LowerAscii(value[j]))
            {
                j++;
            }

            if (j == value.Length)
            {
                return true;
            }
        }

        return false;
    }

    private bool IsContainer()
    {
        if (Exists("/.dockerenv") || Exists("/run/.containerenv")
            || EnvironmentFlag.IsSet(_environment.Get("DOTNET_RUNNING_IN_CONTAINER"))
            || EnvironmentFlag.IsSet(_environment.Get("container")))
        {
            return true;
        }

        var cgroup = ReadText("/proc/1/cgroup");
        if (cgroup is null)
        {
            return false;
        }

        foreach (var marker in ContainerCgroupMarkers)
        {
            if (ContainsIgnoringCase(cgroup, marker))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsWsl()
    {
        if (EnvironmentFlag.IsSet(_environment.Get("WSL_DISTRO_NAME")))
        {
            return true;
        }

        var version = ReadText("/proc/version");
        return version is not null && ContainsIgnoringCase(version, "microsoft");
    }

    private bool IsNotebook() =>
        EnvironmentFlag.IsSet(_environment.Get("JPY_PARENT_PID"))
        || EnvironmentFlag.IsSet(_environment.Get("DOTNET_INTERACTIVE_FRONTEND_NAME"))
        || string.Equals(_entryAssembly, InteractiveHostAssembly, StringComparison.Ordinal);

    private string Rooted(string absolute) => Path.Join(_root, absolute.TrimStart('/'));

    private bool Exists(string absolute)
    {
        try
        {
            return _files.FileExists(Rooted(absolute));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // These files are ASCII wherever we looked; decoding them with the runtime's UTF-8 decoder, its first use in the
    // run, took about 1.5 ms of the writer's stamp (Utf8Text.Decode falls back to it for anything else).
    private string? ReadText(string absolute)
    {
        try
        {
            var bytes = _files.ReadAllBytesOrNull(Rooted(absolute));
            return bytes is null ? null : Utf8Text.Decode(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
