using System.Globalization;
using Candor.Delivery;
using Candor.Storage;
using CsCheck;

namespace Candor.Tests.Delivery;

public sealed class UploaderProcessTests
{
    [Theory]
    [InlineData("DOTNET_EnableEventPipe", true)]
    [InlineData("DOTNET_EventPipeOutputPath", true)]
    [InlineData("DOTNET_JitStdOutFile", true)]
    [InlineData("COMPlus_DbgEnableMiniDump", true)]
    [InlineData("dotnet_diagnosticports", true)]
    [InlineData("DOTNET_STARTUP_HOOKS", true)]
    [InlineData("DOTNET_ROOT", false)]
    [InlineData("DOTNET_gcServer", false)]
    [InlineData("CANDOR_HOME", false)]
    public void IsDiagnosticsSetting_TheToolsTraceAndDumpSettings_AreNotPassedOn(string name, bool diagnostics) =>
        Assert.Equal(diagnostics, UploaderProcess.IsDiagnosticsSetting(name));

    [Fact]
    public void IsDiagnosticsSetting_AnyName_FollowsTheRuleAsWritten()
    {
        // The rule: DOTNET_ or COMPlus_, in any case, then one of the prefixes, in any case.
        string[] prefixes = ["STARTUP_HOOKS", "EnableEventPipe", "EventPipe", "DiagnosticPorts", "Jit", "DbgEnableMiniDump", "DbgMiniDump", "CreateDumpDiagnostics", "EnableCrashReport", "LogEnable", "LogFacility", "LogLevel", "LogFile"];
        static string? Setting(string name) =>
            name.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase) ? name["DOTNET_".Length..]
            : name.StartsWith("COMPlus_", StringComparison.OrdinalIgnoreCase) ? name["COMPlus_".Length..]
            : null;

        var word = Gen.OneOf(Gen.Const("DOTNET_"), Gen.Const("COMPlus_"), Gen.Const("DOTNET"), Gen.Const("CANDOR_"), Gen.Const(""));
        var rest = Gen.OneOf(Gen.Int[0, prefixes.Length - 1].Select(i => prefixes[i]), Gen.Int[0, 4].Select(i => new[] { "ROOT", "gcServer", "Jit", "E", "" }[i]), Gen.String[0, 12]);
        var recased = Gen.Select(word, rest, Gen.String[0, 6], Gen.Bool.Array[40]).Select((w, r, tail, upper) =>
            new string((w + r + tail).Select((c, i) => upper[i % upper.Length] ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray()));
        recased.Sample(name =>
            Assert.Equal(Setting(name) is { } setting && prefixes.Any(p => setting.StartsWith(p, StringComparison.OrdinalIgnoreCase)), UploaderProcess.IsDiagnosticsSetting(name)));
    }

    [Fact]
    public void Arguments_AnyLifetime_IsItsWholeSecondsRoundedUp() =>
        Gen.Long[0, TimeSpan.MaxValue.Ticks / 2].Sample(ticks =>
        {
            var lifetime = TimeSpan.FromTicks(ticks);
            var arguments = UploaderProcess.Arguments("p", new CandorHome("/h"), lifetime, waitForLock: false);
            Assert.Equal(((long)Math.Ceiling(lifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture), arguments[3]);
        });

    [Fact]
    public void Arguments_NameTheHomeTheLifetimeAndWhetherToWait()
    {
        var home = new CandorHome("/home/someone/.config/candor");

        Assert.Equal(["/tool/candor-upload/candor-upload.dll", home.Root, "--lifetime", "61", "--wait"], UploaderProcess.Arguments("/tool/candor-upload/candor-upload.dll", home, TimeSpan.FromSeconds(60.5), waitForLock: true));
    }

    [Fact]
    public void FindHost_UnderTheTestHost_FindsTheDotnetThatRunsIt()
    {
        var host = UploaderProcess.FindHost();

        Assert.NotNull(host);
        Assert.True(File.Exists(host));
        Assert.Equal(OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet", Path.GetFileName(host));
    }

    [Fact]
    public void TheTestAssembly_CarriesTheUploaderBesideIt_AsAToolDoes()
    {
        // build/Candor.targets copies it next to every tool that references the SDK.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, UploaderProcess.Folder, UploaderProcess.Assembly)));
    }
}
