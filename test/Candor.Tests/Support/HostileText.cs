using System.Text.RegularExpressions;
using CsCheck;

namespace Candor.Tests.Support;

/// <summary>
/// Text an adversary or an odd machine might put where a value goes: control characters, paths, addresses, spaces,
/// very long strings, unicode, and pieces of valid values glued to them. Shared by the SDK's and the collector's tests.
/// </summary>
internal static class HostileText
{
    private static readonly string[] Pieces =
    [
        "\0", "\u001b[31m", "\u007f", "\u0085", "\t", "\n", "\r\n", " ", "  ", "/root/.ssh/id_rsa", "/home/alice/", "C:\\Users\\bob\\",
        "alice@example.org", "alice-laptop", "jsmith", "é", "😀", "\ud800", "\udc00", "Ⅻ", "١٢٣", "１２", "\u200b", "%2F", "..",
        "1", "2", "3.4", "123456789", "1234567890123", ".", "-", "+", "_", ":", "rc", "RC", "preview", "Alpha", "beta", "dev", ".7", "4",
        "ubuntu", "debian", "Fedora", "x64", "ARM64", "github-actions", "gitlab", "ci", "process", "linux",
        "System.IO.IOException", "Sample.Cli.Run", " at ", " | ", " <- ", "[external]", "<Run>b__0_0", "<>c", "`1", "[[System.Int32, System.Private.CoreLib]]",
        ".ctor", "Outer+Inner", "0123456789abcdef0123456789abcdef", "zlib", "ZLIB", "openssl", "x64-linux", "<1000", "1000-100000",
    ];

    /// <summary>Any text, weighted toward what comes near a grammar's edges.</summary>
    public static Gen<string> Any { get; } = Gen.Frequency(
        (6, Gen.OneOf(Pieces).Array[0, 8].Select(string.Concat)),
        (2, Gen.String),
        (1, Gen.Char.Array[0, 40].Select(c => new string(c))),
        (1, Gen.Select(Gen.OneOf(Pieces), Gen.Int[300, 6000], (piece, count) => string.Concat(Enumerable.Repeat(piece, count / Math.Max(1, piece.Length) + 1)))));

    /// <summary>A valid version in any of the forms the grammar has, as a product would write it (any label casing, build metadata).</summary>
    public static Gen<string> Version { get; } = Gen.Select(
        Gen.Int[0, 999_999_999].Array[1, 4],
        Gen.OneOf("", "-alpha", "-beta", "-preview", "-rc", "-RC", "-Preview"),
        Gen.OneOf(Gen.Const(""), Gen.Int[0, 999_999_999].Select(n => "." + n)),
        Gen.OneOf("", "+abc123", "+build.7"),
        (parts, label, number, build) => string.Join('.', parts) + label + (label.Length > 0 ? number : "") + build);
}

/// <summary>
/// The grammars as docs/protocol.md writes them, spelled out again independently of the SDK's code: what a test
/// compares produced and stored values with.
/// </summary>
internal static partial class GrammarOracle
{
    public static readonly string[] OsFamilies = ["linux", "windows", "macos", "freebsd", "other"];
    public static readonly string[] Architectures = ["x86", "x64", "arm", "arm64", "wasm", "s390x", "loongarch64", "armv6", "ppc64le", "riscv64", "other"];
    public static readonly string[] CiProviders = ["github-actions", "azure-pipelines", "gitlab", "circleci", "travis", "jenkins", "aws-codebuild", "buildkite", "teamcity", "appveyor", "bitbucket", "generic"];
    public static readonly string[] Hosts = ["process", "container", "notebook", "ci"];

    public static bool IsVersion(string? value) => value is not null && VersionPattern().IsMatch(value);

    public static bool IsNumericVersion(string? value) => value is not null && NumericPattern().IsMatch(value);

    public static bool IsOsVersion(string? value) => value is not null && OsVersionPattern().IsMatch(value);

    public static bool IsStack(string? value) => value is not null && value.Length <= 1024 && StackPattern().IsMatch(value);

    /// <summary>
    /// Whether every name in <paramref name="signature"/> (one in the stack grammar) is of a known origin: a type
    /// <c>[external]</c> or under a declared or framework namespace, a frame <c>[external]</c> or under a declared one.
    /// Names never hold spaces, so the words alternate: a name, a separator, a name.
    /// </summary>
    public static bool IsStackOfNamespaces(string signature, IReadOnlyList<string> declared)
    {
        var words = signature.Split(' ');
        var isFrame = false;
        for (var i = 0; i < words.Length; i += 2)
        {
            var name = words[i];
            var known = name == "[external]"
                || declared.Any(d => Under(name, d))
                || (!isFrame && (Under(name, "System") || Under(name, "Microsoft")));
            if (!known)
            {
                return false;
            }

            isFrame = isFrame || (i + 1 < words.Length && words[i + 1] == "at");
        }

        return true;
    }

    // "A.B" is under "A" and under "A.B", never under "A.Bc" or "AB".
    private static bool Under(string name, string space) => (name + ".").StartsWith(space + ".", StringComparison.Ordinal);

    public static bool IsHash(string? value) => value is not null && HashPattern().IsMatch(value);

    /// <summary>Null when every member of the context is in its grammar, else the first that is not.</summary>
    public static string? ContextProblem(Candor.Protocol.WireContext c) =>
        !IsVersion(c.Version) ? "version"
        : !OsFamilies.Contains(c.Os) ? "os"
        : !IsOsVersion(c.OsVersion) ? "osVersion"
        : !Architectures.Contains(c.Arch) ? "arch"
        : !IsNumericVersion(c.Runtime) ? "runtime"
        : c.Ci is not null && !CiProviders.Contains(c.Ci) ? "ci"
        : !Hosts.Contains(c.Host) ? "host"
        : null;

    [GeneratedRegex(@"\A[0-9]{1,9}(\.[0-9]{1,9}){0,3}(-(alpha|beta|preview|rc)(\.[0-9]{1,9})?)?\z")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"\A[0-9]{1,9}(\.[0-9]{1,9}){0,3}\z")]
    private static partial Regex NumericPattern();

    [GeneratedRegex(@"\A((almalinux|alpine|amzn|arch|azurelinux|centos|chainguard|clear-linux-os|debian|elementary|endeavouros|fedora|freebsd|gentoo|kali|linuxmint|manjaro|mariner|nixos|ol|opensuse-leap|opensuse-tumbleweed|photon|pop|raspbian|rhel|rocky|sled|sles|ubuntu|void|wolfi|zorin)( [0-9]{1,9}(\.[0-9]{1,9}){0,3})?|[0-9]{1,9}(\.[0-9]{1,9}){0,3})\z")]
    private static partial Regex OsVersionPattern();

    [GeneratedRegex(@"\A(\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){0,9})( <- (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){0,9})){0,4}( at (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){1,9})( \| (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){1,9})){0,15})?\z")]
    private static partial Regex StackPattern();

    [GeneratedRegex(@"\A[0-9a-f]{32}\z")]
    private static partial Regex HashPattern();
}
