using CsCheck;
using System.Runtime.InteropServices;
using Candor.Context;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Context;

public sealed class ContextProbeTests : IDisposable
{
    private readonly TempFolder _root = new();
    private readonly FakeEnvironment _environment = new();

    public void Dispose() => _root.Dispose();

    private void File(string absolute, string contents)
    {
        var path = _root.Combine(absolute.TrimStart('/').Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, contents);
    }

    private MachineContext Detect(string os = "linux", bool interactive = false, string? entryAssembly = "sometool", IFileSystem? files = null) =>
        new ContextProbe(_environment, files ?? PhysicalFileSystem.Instance, _root.Path, os, () => interactive, entryAssembly).Detect();

    [Fact]
    public void Detect_LinuxWithOsRelease_IsIdAndVersionId()
    {
        File("/etc/os-release", """
            PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
            NAME="Debian GNU/Linux"
            VERSION_ID="12"
            VERSION="12 (bookworm)"
            ID=debian
            HOME_URL="https://www.debian.org/"
            """);

        var context = Detect();

        Assert.Equal("linux", context.Os);
        Assert.Equal("debian 12", context.OsVersion);
    }

    [Fact]
    public void Detect_OsReleaseOnlyInUsrLib_IsRead()
    {
        File("/usr/lib/os-release", "ID=fedora\nVERSION_ID=40\n");

        Assert.Equal("fedora 40", Detect().OsVersion);
    }

    [Fact]
    public void Detect_NoOsRelease_FallsBackToTheKernelVersion()
    {
        Assert.Equal(Environment.OSVersion.Version.ToString(), Detect().OsVersion);
    }

    [Fact]
    public void Detect_NotLinux_UsesOsVersionAndIgnoresOsRelease()
    {
        File("/etc/os-release", "ID=debian\nVERSION_ID=12\n");

        var context = Detect(os: "windows");

        Assert.Equal("windows", context.Os);
        Assert.Equal(Environment.OSVersion.Version.ToString(), context.OsVersion);
    }

    [Theory]
    [InlineData("ID=arch\nBUILD_ID=rolling\n", "arch")]
    [InlineData("ID='ubuntu'\nVERSION_ID='22.04'\n", "ubuntu 22.04")]
    [InlineData("# comment\nID=alpine\r\nVERSION_ID=3.20.1\r\n", "alpine 3.20.1")]
    [InlineData("ID=\"My Distro <me@example.org>\"\nVERSION_ID=12\n", null)]
    [InlineData("ID=debian\nVERSION_ID=\"1 /home/me\"\n", "debian")]
    [InlineData("ID=Debian\nVERSION_ID=12\n", "debian 12")]
    [InlineData("NAME=Nothing\n", null)]
    [InlineData("", null)]
    public void ParseOsRelease_IgnoresValuesWithCharactersOsReleaseDoesNotAllow(string text, string? expected)
    {
        Assert.Equal(expected, ContextProbe.ParseOsRelease(text));
    }

    // The reading as it was first written, with Split, Trim, LINQ and the Ascii helpers: the parser now walks spans
    // (fewer first calls for every recording run) and must read every file exactly as this did.
    [Fact]
    public void ParseOsRelease_OfAnyText_ReadsWhatTheSplitAndTrimReadingRead()
    {
        var keys = Gen.OneOf(Gen.Const("ID"), Gen.Const("VERSION_ID"), Gen.Const("NAME"), Gen.Const(" ID"), Gen.Const("#ID"), Gen.Const(""));
        var quotes = Gen.OneOf(Gen.Const(""), Gen.Const("\""), Gen.Const("'"));
        var line = Gen.Select(keys, quotes, HostileText.Any, Gen.OneOf(Gen.Const("\n"), Gen.Const("\r\n"), Gen.Const(" \n")))
            .Select((key, quote, value, end) => $"{key}={quote}{value}{quote}{end}");
        var text = Gen.Frequency((4, line.Array[0, 6].Select(string.Concat)), (1, HostileText.Any));

        text.Sample(t => Assert.Equal(SplitReading(t), ContextProbe.ParseOsRelease(t)), iter: 5_000);
    }

    private static string? SplitReading(string text)
    {
        string? id = null;
        string? version = null;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || line.StartsWith('#'))
            {
                continue;
            }

            var raw = line[(equals + 1)..];
            var value = raw.Length >= 2 && (raw[0] is '"' or '\'') && raw[^1] == raw[0] ? raw[1..^1] : raw;
            var clean = value.Length == 0 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
                ? null
                : (value.Length > 32 ? value[..32] : value).ToLowerInvariant();
            if (line[..equals] == "ID")
            {
                id = clean;
            }
            else if (line[..equals] == "VERSION_ID")
            {
                version = clean;
            }
        }

        return string.IsNullOrEmpty(id) ? null : string.IsNullOrEmpty(version) ? id : $"{id} {version}";
    }

    [Fact]
    public void ParseOsRelease_VeryLongValues_AreBounded()
    {
        var parsed = ContextProbe.ParseOsRelease($"ID={new string('a', 500)}\nVERSION_ID={new string('1', 500)}\n");

        Assert.Equal(65, parsed!.Length);
    }

    [Fact]
    public void Detect_PlainProcess_IsProcessHostWithArchAndRuntime()
    {
        var context = Detect();

        Assert.Equal("process", context.Host);
        Assert.Null(context.Ci);
        Assert.False(context.Container);
        Assert.False(context.Wsl);
        Assert.Equal(RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), context.Arch);
        Assert.Equal(Environment.Version.ToString(), context.Runtime);
    }

    [Theory]
    [InlineData("/.dockerenv")]
    [InlineData("/run/.containerenv")]
    public void Detect_ContainerMarkerFile_IsContainer(string marker)
    {
        File(marker, "");

        var context = Detect();

        Assert.True(context.Container);
        Assert.Equal("container", context.Host);
    }

    [Theory]
    [InlineData("DOTNET_RUNNING_IN_CONTAINER", "true")]
    [InlineData("container", "podman")]
    [InlineData("container", "systemd-nspawn")]
    public void Detect_ContainerVariable_IsContainer(string variable, string value)
    {
        _environment.With(variable, value);

        Assert.True(Detect().Container);
    }

    [Fact]
    public void Detect_ContainerVariableFalse_IsNotContainer()
    {
        _environment.With("DOTNET_RUNNING_IN_CONTAINER", "false");

        Assert.False(Detect().Container);
    }

    [Theory]
    [InlineData("12:memory:/docker/3f1c2a\n", true)]
    [InlineData("0::/kubepods/besteffort/pod1234\n", true)]
    [InlineData("1:name=systemd:/system.slice/containerd.service\n", true)]
    [InlineData("0::/machine.slice/libpod-abc.scope\n", true)]
    [InlineData("0::/system.slice/Docker-3f1c2a.scope\n", true)]
    [InlineData("0::/\n", false)]
    [InlineData("0::/init.scope\n", false)]
    public void Detect_Cgroup_MentionsAContainerRuntime(string cgroup, bool expected)
    {
        File("/proc/1/cgroup", cgroup);

        Assert.Equal(expected, Detect().Container);
    }

    [Fact]
    public void Detect_WslDistroName_IsWsl()
    {
        _environment.With("WSL_DISTRO_NAME", "Ubuntu");

        Assert.True(Detect().Wsl);
    }

    [Theory]
    [InlineData("Linux version 5.15.153.1-microsoft-standard-WSL2 (root@1234) (gcc)", true)]
    [InlineData("Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)", true)]
    [InlineData("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)", false)]
    public void Detect_ProcVersion_MentioningMicrosoft_IsWsl(string version, bool expected)
    {
        File("/proc/version", version);

        Assert.Equal(expected, Detect().Wsl);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Detect_Interactive_IsWhatTheTerminalSays(bool interactive)
    {
        Assert.Equal(interactive, Detect(interactive: interactive).Interactive);
    }

    [Fact]
    public void Detect_TerminalCheckThrows_IsNotInteractive()
    {
        var probe = new ContextProbe(_environment, PhysicalFileSystem.Instance, _root.Path, "linux", () => throw new IOException("no console"), "tool");

        Assert.False(probe.Detect().Interactive);
    }

    [Fact]
    public void Detect_CiRun_IsCiHostWithVendor()
    {
        _environment.With("GITHUB_ACTIONS", "true");

        var context = Detect();

        Assert.Equal("github-actions", context.Ci);
        Assert.Equal("ci", context.Host);
    }

    [Theory]
    [InlineData("JPY_PARENT_PID", "4242")]
    [InlineData("DOTNET_INTERACTIVE_FRONTEND_NAME", "vscode")]
    public void Detect_NotebookKernelVariable_IsNotebookHost(string variable, string value)
    {
        _environment.With(variable, value);

        Assert.Equal("notebook", Detect().Host);
    }

    [Fact]
    public void Detect_HostedByDotnetInteractive_IsNotebookHost()
    {
        Assert.Equal("notebook", Detect(entryAssembly: "Microsoft.DotNet.Interactive.App").Host);
    }

    [Fact]
    public void Detect_HostPrecedence_CiThenNotebookThenContainer()
    {
        File("/.dockerenv", "");
        Assert.Equal("container", Detect().Host);

        _environment.With("JPY_PARENT_PID", "1");
        Assert.Equal("notebook", Detect().Host);

        _environment.With("CI", "true");
        Assert.Equal("ci", Detect().Host);
        Assert.True(Detect().Container);
    }

    [Fact]
    public void Detect_FilesCannotBeRead_ReportsAbsentAndNeverThrows()
    {
        File("/.dockerenv", "");
        File("/etc/os-release", "ID=debian\n");
        var files = new RecordingFileSystem { FailReads = p => new UnauthorizedAccessException(p) };

        var context = Detect(files: files);

        Assert.False(context.Container);
        Assert.Equal(Environment.OSVersion.Version.ToString(), context.OsVersion);
    }

    [Fact]
    public void ToWire_CopiesEveryFieldWithTheProductVersion()
    {
        var context = new MachineContext("linux", "debian 12", "x64", "8.0.11", "gitlab", Container: true, Wsl: true, Interactive: true, "ci");

        var wire = context.ToWire("1.2.3");

        Assert.Equal("1.2.3", wire.Version);
        Assert.Equal("linux", wire.Os);
        Assert.Equal("debian 12", wire.OsVersion);
        Assert.Equal("x64", wire.Arch);
        Assert.Equal("8.0.11", wire.Runtime);
        Assert.Equal("gitlab", wire.Ci);
        Assert.True(wire.Container);
        Assert.True(wire.Wsl);
        Assert.True(wire.Interactive);
        Assert.Equal("ci", wire.Host);
        Assert.NotSame(wire, context.ToWire("1.2.3"));
    }

    [Fact]
    public void Current_IsComputedOnceForTheProcess()
    {
        Assert.Same(ContextProbe.Current, ContextProbe.Current);
        Assert.Contains(ContextProbe.Current.Os, new[] { "linux", "windows", "macos", "freebsd", "other" });
    }

    [Theory]
    [InlineData("Microsoft.DotNet.Interactive.App, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35", "Microsoft.DotNet.Interactive.App")]
    [InlineData("sometool", "sometool")]
    [InlineData(null, null)]
    public void SimpleName_IsTheNameBeforeTheVersion(string? displayName, string? expected)
    {
        Assert.Equal(expected, ContextProbe.SimpleName(displayName));
    }

    [Fact]
    public void SimpleName_OfARealAssembly_IsWhatGetNameSays()
    {
        var assembly = typeof(ContextProbe).Assembly;

        Assert.Equal(assembly.GetName().Name, ContextProbe.SimpleName(assembly.FullName));
    }

    [Fact]
    public void ArchitectureName_EveryArchitecture_IsItsNameInLowerCase()
    {
        foreach (var architecture in Enum.GetValues<Architecture>().Append((Architecture)99))
        {
            Assert.Equal(architecture.ToString().ToLowerInvariant(), ContextProbe.ArchitectureName(architecture));
        }
    }
}
