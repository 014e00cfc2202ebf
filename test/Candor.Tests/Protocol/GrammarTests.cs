using System.Runtime.InteropServices;
using Candor.Context;
using Candor.Identity;
using Candor.Platform;
using Candor.Protocol;
using Candor.Tests.Support;

namespace Candor.Tests.Protocol;

public class GrammarTests
{
    [Theory]
    [InlineData("1.2.3", "1.2.3")]
    [InlineData("2024.11", "2024.11")]
    [InlineData("1.2.3+abc", "1.2.3")]
    [InlineData("1.2.3-beta", "1.2.3-beta")]
    [InlineData("1.2.3-RC1", "1.2.3-rc.1")]
    [InlineData("10.0.100-preview.4.24267.6", "10.0.100-preview.4")]
    [InlineData("1.2.3-preview.1234567890", "1.2.3-preview")]
    [InlineData("1.2.3-alice", "1.2.3")]
    [InlineData("1.2.3-pre.1", "1.2.3")]
    [InlineData("1.2.3.4.5", "1.2.3.4")]
    [InlineData(" 1.2 ", "1.2")]
    [InlineData("1.2.1234567890", "1.2")]
    [InlineData("v1.2.3", null)]
    [InlineData("1234567890", null)]
    [InlineData("", null)]
    public void Version_Normalize_KeepsNumbersAndAListedLabel(string raw, string? expected)
    {
        Assert.Equal(expected, VersionGrammar.Normalize(raw));
        Assert.Equal(raw == expected, VersionGrammar.Check(raw) is null);
    }

    [Theory]
    [InlineData("ubuntu 22.04", "ubuntu 22.04")]
    [InlineData("Debian 12", "debian 12")]
    [InlineData("arch", "arch")]
    [InlineData("opensuse-tumbleweed 20240101", "opensuse-tumbleweed 20240101")]
    [InlineData("alice-distro 3.1", "3.1")]
    [InlineData("ubuntu rolling", "ubuntu")]
    [InlineData("10.0.22631.0", "10.0.22631.0")]
    [InlineData("ubuntu 22.04 alice-laptop", "ubuntu 22.04")]
    [InlineData("alice", null)]
    public void OsVersion_Normalize_KeepsListedDistributionsAndNumbers(string raw, string? expected)
    {
        Assert.Equal(expected, ContextGrammar.NormalizeOsVersion(raw));
        Assert.Equal(raw == expected, ContextGrammar.CheckOsVersion(raw) is null);
    }

    [Fact]
    public void Arch_EveryArchitectureTheRuntimeNames_IsListed()
    {
        foreach (var architecture in Enum.GetValues<Architecture>())
        {
            Assert.Null(ContextGrammar.CheckArch(ContextProbe.ArchitectureName(architecture)));
        }

        Assert.Equal("other", ContextGrammar.NormalizeArch("alice"));
        Assert.Equal("arm64", ContextGrammar.NormalizeArch("ARM64"));
    }

    [Fact]
    public void Ci_EveryProviderTheSdkDetects_IsListed()
    {
        foreach (var provider in GrammarOracle.CiProviders)
        {
            Assert.Null(ContextGrammar.CheckCi(provider));
        }

        foreach (var variable in new[] { "GITHUB_ACTIONS", "TF_BUILD", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER", "CI" })
        {
            var detected = CiDetector.Detect(new DictionaryEnvironment(new Dictionary<string, string> { [variable] = "true" }));
            Assert.Null(ContextGrammar.CheckCi(detected));
            Assert.NotNull(detected);
        }

        Assert.Null(ContextGrammar.CheckCi(CiDetector.Detect(new DictionaryEnvironment(new Dictionary<string, string> { ["BUILD_ID"] = "1", ["BUILD_URL"] = "x" }))));
        Assert.Equal("generic", ContextGrammar.NormalizeCi("alice-ci"));
    }

    [Theory]
    [InlineData("Ns.Outer+Inner`1[[System.Int32, System.Private.CoreLib]]", "Ns.Outer.Inner")]
    [InlineData("<Run>b__0_0", "Run")]
    [InlineData("<Run>g__Local|0_1", "Local")]
    [InlineData("<.ctor>b__3_0", "ctor")]
    [InlineData("Ns.Type..ctor", "Ns.Type.ctor")]
    [InlineData("Ns.<>c__DisplayClass0_0", "Ns")]
    [InlineData("Überprüfen", "_berpr_fen")]
    [InlineData("/root/.ssh/id_rsa", "_root_.ssh_id_rsa")]
    [InlineData("<>c", null)]
    [InlineData("<Main>$", "Main")]
    [InlineData("<<Main>$>b__0_0", "Main")]
    [InlineData("<<Main>$>g__Fail|0_1", "Fail")]
    [InlineData("<<Main>$>d__0", "Main")]
    [InlineData("<<<Main>$>b__0_0>d", "Main")]
    [InlineData("<<Main", null)]
    public void Stack_NormalizeName_GivesDottedIdentifiers(string raw, string? expected) =>
        Assert.Equal(expected, StackGrammar.NormalizeName(raw));

    [Theory]
    [InlineData("System.IO.IOException", true)]
    [InlineData("System.InvalidOperationException <- System.IO.IOException at Sample.Cli.Run | [external] | Sample.Cli.Main", true)]
    [InlineData("System.IO.IOException at [external]", true)]
    [InlineData("[external] <- System.IO.IOException at Sample.Cli.Run", true)]
    [InlineData("[external]", true)]
    [InlineData("[external at Sample.Cli.Run", false)]
    [InlineData("System.IO.IOException at Run", false)]
    [InlineData("System.IO.IOException: /home/alice", false)]
    [InlineData("System.IO.IOException\n", false)]
    [InlineData("alice@example.org", false)]
    [InlineData("", false)]
    public void Stack_Check_PassesOnlyTheGrammar(string value, bool valid) =>
        Assert.Equal(valid, StackGrammar.Check(value) is null);

    [Theory]
    [InlineData("System.IO.IOException at Sample.Cli.Run | [external] | Sample.Cli.Main", null)]
    [InlineData("Microsoft.Build.BuildException <- [external] at Sample.Cli.Run", null)]
    [InlineData("Sample.Cli.InstallException", null)]
    [InlineData("System.IO.IOException at Sample.jsmith.Run", "frame 1 is not in the product's declared namespaces (Sample.Cli, Program)")]
    [InlineData("System.IO.IOException at Sample.Cli.Run | Sample.CliX.Run", "frame 2 is not in")]
    [InlineData("System.IO.IOException at Program.Main | jsmith.Run", "frame 2 is not in")]
    [InlineData("System.IO.IOException <- Vendor.JsmithException", "exception type 2 is in neither the product's declared namespaces (Sample.Cli, Program) nor System, Microsoft")]
    [InlineData("SystemX.Failure", "exception type 1 is in neither")]
    [InlineData("System.IO.IOException at System.Console.WriteLine", "frame 1 is not in")]
    public void Stack_CheckNamespaces_NamesTheFirstTypeOrFrameOfUnknownOrigin(string value, string? expected)
    {
        var problem = StackGrammar.CheckNamespaces(value, ["Sample.Cli", "Program"]);

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.StartsWith(expected, problem, StringComparison.Ordinal);
            Assert.DoesNotContain("jsmith", problem, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Verifier_OfAnyInstall_HasTheVerifierForm()
    {
        var secret = InstallSecret.Create();
        var proof = InstallSecret.DeletionProof(secret, "sample", Guid.NewGuid());

        Assert.True(PropertyGrammar.IsVerifier(InstallSecret.Verifier(proof)));
        Assert.True(PropertyGrammar.IsVerifier(proof));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("00112233445566778899aabbccddeeff")]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddeef")]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0")]
    [InlineData("00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff")]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg")]
    public void Verifier_AnythingBut64LowerCaseHex_IsNotOne(string? value)
    {
        Assert.False(PropertyGrammar.IsVerifier(value));
        Assert.Equal(PropertyGrammar.IsVerifier(value), InstallSecret.IsWellFormed(value));
    }
}
