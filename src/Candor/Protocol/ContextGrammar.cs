using System.Text;

namespace Candor.Protocol;

/// <summary>
/// The one grammar of each member of an event's context (<see cref="WireContext"/>): closed lists or tight
/// patterns, so that no member can carry free text such as a host name, a user name or a path. The SDK writes
/// the context through <see cref="Normalize(WireContext)"/>; the collector refuses an event whose context fails
/// <see cref="Check(WireContext)"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>version</c>: <see cref="VersionGrammar"/>.</item>
/// <item><c>os</c>: one of <see cref="OsFamilies"/>.</item>
/// <item><c>osVersion</c>: a distribution from <see cref="Distributions"/>, a distribution, a space and a numeric
/// version, or a numeric version alone (the kernel's or Windows' version), for example <c>ubuntu 22.04</c>,
/// <c>arch</c>, <c>10.0.22631.0</c>. Numeric versions here have 1-4 parts of 1-9 digits.</item>
/// <item><c>arch</c>: one of <see cref="Architectures"/>, the names of
/// <see cref="System.Runtime.InteropServices.Architecture"/> in lower case, or <c>other</c>.</item>
/// <item><c>runtime</c>: the .NET runtime's numeric version (<see cref="Environment.Version"/>), 1-4 parts of 1-9 digits, such as <c>8.0.11</c>.</item>
/// <item><c>ci</c>: absent, or one of <see cref="CiProviders"/>.</item>
/// <item><c>host</c>: one of <see cref="Hosts"/>.</item>
/// <item><c>container</c>, <c>wsl</c>, <c>interactive</c>: JSON booleans (the reader refuses anything else).</item>
/// </list>
/// </remarks>
internal static class ContextGrammar
{
    /// <summary>The OS families; <c>other</c> stands for any OS not named.</summary>
    public static IReadOnlyList<string> OsFamilies => OsFamilyList;

    private static readonly string[] OsFamilyList = ["linux", "windows", "macos", "freebsd", "other"];

    /// <summary>The architectures: <see cref="System.Runtime.InteropServices.Architecture"/>'s names in lower case, and <c>other</c> for one added later.</summary>
    public static IReadOnlyList<string> Architectures => ArchitectureList;

    private static readonly string[] ArchitectureList = ["x86", "x64", "arm", "arm64", "wasm", "s390x", "loongarch64", "armv6", "ppc64le", "riscv64", "other"];

    /// <summary>The CI providers the SDK recognises; <c>generic</c> is a CI run of an unnamed provider.</summary>
    public static IReadOnlyList<string> CiProviders => CiList;

    private static readonly string[] CiList =
        ["github-actions", "azure-pipelines", "gitlab", "circleci", "travis", "jenkins", "aws-codebuild", "buildkite", "teamcity", "appveyor", "bitbucket", "generic"];

    /// <summary>What hosts the process.</summary>
    public static IReadOnlyList<string> Hosts => HostList;

    private static readonly string[] HostList = ["process", "container", "notebook", "ci"];

    /// <summary>
    /// The Linux and BSD distributions named in <c>osVersion</c>: <c>ID</c> values of <c>/etc/os-release</c>. Any
    /// other distribution is reported by its numeric version alone: an <c>ID</c> is free text to whoever writes the file.
    /// </summary>
    public static IReadOnlyList<string> Distributions => DistributionList;

    private static readonly string[] DistributionList =
    [
        "almalinux", "alpine", "amzn", "arch", "azurelinux", "centos", "chainguard", "clear-linux-os", "debian",
        "elementary", "endeavouros", "fedora", "freebsd", "gentoo", "kali", "linuxmint", "manjaro", "mariner",
        "nixos", "ol", "opensuse-leap", "opensuse-tumbleweed", "photon", "pop", "raspbian", "rhel", "rocky", "sled",
        "sles", "ubuntu", "void", "wolfi", "zorin",
    ];

    // The lists are short: a scan costs less than building sets did, once per process that records.
    private static bool Has(string[] list, string value) => Array.IndexOf(list, value) >= 0;

    /// <summary>The OS family for <paramref name="raw"/>: itself when listed, else <c>other</c>.</summary>
    public static string NormalizeOs(string? raw) => raw is not null && Has(OsFamilyList, raw) ? raw : "other";

    /// <summary>Null when <paramref name="value"/> is an OS family, else why it is not.</summary>
    public static string? CheckOs(string? value) =>
        value is not null && Has(OsFamilyList, value) ? null : "must be " + Listed(OsFamilies);

    /// <summary>
    /// The canonical OS version for <paramref name="raw"/> (<c>ubuntu 22.04</c>, <c>10.0.22631</c>): a listed
    /// distribution keeps its name (in lower case), an unlisted one loses it, a version keeps its numeric parts.
    /// Null when nothing of <paramref name="raw"/> fits.
    /// </summary>
    public static string? NormalizeOsVersion(string? raw)
    {
        if (raw is null)
        {
            return null;
        }

        var text = raw.Trim();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var first = AsciiLower(space < 0 ? text : text[..space]);
        if (Has(DistributionList, first))
        {
            var version = space < 0 ? null : VersionGrammar.NormalizeNumeric(text[(space + 1)..]);
            return version is null ? first : first + " " + version;
        }

        return VersionGrammar.NormalizeNumeric(space < 0 ? text : text[(space + 1)..]) ?? VersionGrammar.NormalizeNumeric(text);
    }

    /// <summary>Null when <paramref name="value"/> is a canonical OS version, else why it is not.</summary>
    public static string? CheckOsVersion(string? value) =>
        value is not null && string.Equals(NormalizeOsVersion(value), value, StringComparison.Ordinal)
            ? null
            : "must be a listed distribution, a numeric version (1-4 parts of 1-9 digits), or both separated by one space, such as 'ubuntu 22.04'";

    /// <summary>The architecture for <paramref name="raw"/> in any case: its lower-case name when listed, else <c>other</c>.</summary>
    public static string NormalizeArch(string? raw)
    {
        var lower = raw is null ? null : AsciiLower(raw);
        return lower is not null && Has(ArchitectureList, lower) ? lower : "other";
    }

    /// <summary>Null when <paramref name="value"/> is a listed architecture, else why it is not.</summary>
    public static string? CheckArch(string? value) =>
        value is not null && Has(ArchitectureList, value) ? null : "must be " + Listed(Architectures);

    /// <summary>The runtime version for <paramref name="raw"/>: its numeric parts, or null when it has none.</summary>
    public static string? NormalizeRuntime(string? raw) => VersionGrammar.NormalizeNumeric(raw);

    /// <summary>Null when <paramref name="value"/> is a numeric runtime version, else why it is not.</summary>
    public static string? CheckRuntime(string? value) => VersionGrammar.CheckNumeric(value);

    /// <summary>The CI provider for <paramref name="raw"/>: null outside CI, itself when listed, else <c>generic</c>.</summary>
    public static string? NormalizeCi(string? raw) => raw is null ? null : Has(CiList, raw) ? raw : "generic";

    /// <summary>Null when <paramref name="value"/> is absent or a listed CI provider, else why it is not.</summary>
    public static string? CheckCi(string? value) =>
        value is null || Has(CiList, value) ? null : "must be absent or " + Listed(CiProviders);

    /// <summary>The host for <paramref name="raw"/>: itself when listed, else <c>process</c>.</summary>
    public static string NormalizeHost(string? raw) => raw is not null && Has(HostList, raw) ? raw : "process";

    /// <summary>Null when <paramref name="value"/> is a listed host, else why it is not.</summary>
    public static string? CheckHost(string? value) =>
        value is not null && Has(HostList, value) ? null : "must be " + Listed(Hosts);

    /// <summary>
    /// A copy of <paramref name="context"/> with every member in its grammar. The product version has no
    /// fallback that says anything, so a version without a number becomes <c>0</c>, as does a runtime version.
    /// </summary>
    public static WireContext Normalize(WireContext context) => new()
    {
        Version = VersionGrammar.Normalize(context.Version) ?? "0",
        Os = NormalizeOs(context.Os),
        OsVersion = NormalizeOsVersion(context.OsVersion) ?? "0",
        Arch = NormalizeArch(context.Arch),
        Runtime = NormalizeRuntime(context.Runtime) ?? "0",
        Ci = NormalizeCi(context.Ci),
        Container = context.Container,
        Wsl = context.Wsl,
        Interactive = context.Interactive,
        Host = NormalizeHost(context.Host),
    };

    /// <summary>Null when every member of <paramref name="context"/> is in its grammar, else which member is not and why.</summary>
    public static string? Check(WireContext context) =>
        Member("version", VersionGrammar.Check(context.Version))
        ?? Member("os", CheckOs(context.Os))
        ?? Member("osVersion", CheckOsVersion(context.OsVersion))
        ?? Member("arch", CheckArch(context.Arch))
        ?? Member("runtime", CheckRuntime(context.Runtime))
        ?? Member("ci", CheckCi(context.Ci))
        ?? Member("host", CheckHost(context.Host));

    private static string? Member(string name, string? problem) => problem is null ? null : $"'{name}' {problem}";

    private static string Listed(IReadOnlyList<string> values) => "one of " + string.Join(", ", values);

    // Not ToLowerInvariant: that loads ICU, which every run of the tool would pay for.
    private static string AsciiLower(string value) =>
        string.Create(value.Length, value, static (lower, value) => Ascii.ToLower(value, lower, out _));
}
