using Candor.Delivery;
using Candor.Storage;

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
