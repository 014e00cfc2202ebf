using Candor.Protocol;
using Candor.Tests.Support;
using CsCheck;

namespace Candor.Tests.Protocol;

/// <summary>
/// Whatever text goes in, each grammar's normaliser (what the SDK sends) gives a value in the grammar as
/// docs/protocol.md writes it, or nothing; and each check (what the collector stores) passes only such values.
/// </summary>
public class GrammarPropertyTests
{
    [Fact]
    public void Version_AnyText_NormalizesIntoTheGrammarOrToNothing_AndOnlyGrammarPassesTheCheck()
    {
        HostileText.Any.Sample(raw =>
        {
            var normalized = VersionGrammar.Normalize(raw);
            Assert.True(normalized is null || GrammarOracle.IsVersion(normalized), $"'{normalized}' from '{raw}'");
            Assert.True(normalized is null || VersionGrammar.Check(normalized) is null);
            Assert.Equal(VersionGrammar.Check(raw) is null, GrammarOracle.IsVersion(raw));
            Assert.Equal(ContextGrammar.CheckRuntime(raw) is null, GrammarOracle.IsNumericVersion(raw));
        }, iter: 20_000);
    }

    [Fact]
    public void Version_ValidVersions_KeepTheirNumbersAndLabel()
    {
        HostileText.Version.Sample(raw =>
        {
            var normalized = VersionGrammar.Normalize(raw);
            Assert.True(GrammarOracle.IsVersion(normalized), $"'{normalized}' from '{raw}'");
            var plus = raw.IndexOf('+', StringComparison.Ordinal);
            Assert.Equal((plus < 0 ? raw : raw[..plus]).ToLowerInvariant(), normalized);
        });
    }

    [Fact]
    public void Context_AnyText_InEveryMember_NormalizesIntoTheGrammar_AndOnlyGrammarPassesTheCheck()
    {
        var context = Gen.Select(HostileText.Any, HostileText.Any, HostileText.Any, HostileText.Any, HostileText.Any, HostileText.Any, HostileText.Any,
            (version, os, osVersion, arch, runtime, ci, host) => new WireContext { Version = version, Os = os, OsVersion = osVersion, Arch = arch, Runtime = runtime, Ci = ci, Host = host });
        var members = Gen.Select(HostileText.Any, Gen.Int[0, 6]);
        context.Sample(raw =>
        {
            var normalized = ContextGrammar.Normalize(raw);
            Assert.Null(GrammarOracle.ContextProblem(normalized));
            Assert.Null(ContextGrammar.Check(normalized));
            Assert.Equal(ContextGrammar.Check(raw) is null, GrammarOracle.ContextProblem(raw) is null);
        }, iter: 10_000);

        // One member at a time in a context that is otherwise valid, so each member's check is reached.
        members.Sample((raw, member) =>
        {
            var c = new WireContext { Version = "1.0.0", Os = "linux", OsVersion = "debian 12", Arch = "x64", Runtime = "10.0.0", Host = "process" };
            _ = member switch
            {
                0 => c.Version = raw,
                1 => c.Os = raw,
                2 => c.OsVersion = raw,
                3 => c.Arch = raw,
                4 => c.Runtime = raw,
                5 => c.Ci = raw,
                _ => c.Host = raw,
            };
            Assert.Equal(ContextGrammar.Check(c) is null, GrammarOracle.ContextProblem(c) is null);
            Assert.Null(GrammarOracle.ContextProblem(ContextGrammar.Normalize(c)));
        }, iter: 20_000);
    }

    [Fact]
    public void Stack_AnyNames_ComposeIntoTheGrammar_AndOnlyGrammarPassesTheCheck()
    {
        var names = HostileText.Any.Array[0, 20];
        Gen.Select(names, names).Sample((types, frames) =>
        {
            var signature = StackGrammar.Compose(types.Select(StackGrammar.NormalizeName), frames.Select(StackGrammar.NormalizeName));
            Assert.True(signature is null || GrammarOracle.IsStack(signature), $"'{signature}'");
            Assert.True(signature is null || StackGrammar.Check(signature) is null);
        }, iter: 5_000);

        HostileText.Any.Sample(raw => Assert.Equal(StackGrammar.Check(raw) is null, GrammarOracle.IsStack(raw)), iter: 20_000);
    }

    [Fact]
    public void Stack_SignaturesOfValidNames_PassTheCheckAsComposed()
    {
        var identifier = Gen.String[Gen.Char["abcXYZ019_"], 1, 80];
        var name = identifier.Array[1, 10].Select(parts => string.Join('.', parts));
        var frame = identifier.Array[2, 10].Select(parts => string.Join('.', parts));
        Gen.Select(name.Array[1, 5], frame.Array[0, 16]).Sample((types, frames) =>
        {
            var signature = StackGrammar.Compose(types, frames);
            Assert.True(GrammarOracle.IsStack(signature), $"'{signature}'");
            Assert.StartsWith(types[0], signature, StringComparison.Ordinal);
        });
    }
}
