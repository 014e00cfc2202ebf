using Candor.Consent;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Consent;

public sealed class MachinePolicyTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _path;

    public MachinePolicyTests()
    {
        _path = _temp.Combine("policy.json");
    }

    public void Dispose() => _temp.Dispose();

    private MachinePolicy ReadWith(string contents)
    {
        File.WriteAllText(_path, contents);
        return MachinePolicy.Read(PhysicalFileSystem.Instance, _path);
    }

    [Fact]
    public void Read_NoFile_ForcesNothing()
    {
        var policy = MachinePolicy.Read(PhysicalFileSystem.Instance, _path);

        Assert.False(policy.ForcesOff);
    }

    [Theory]
    [InlineData("""{"telemetry":"off"}""")]
    [InlineData("""{ "telemetry": "OFF" }""")]
    public void Read_TelemetryOff_ForcesOffAndNamesTheFile(string contents)
    {
        var policy = ReadWith(contents);

        Assert.True(policy.ForcesOff);
        Assert.Equal($"{_path}: telemetry = off", policy.Detail);
    }

    [Theory]
    [InlineData("""{"telemetry":"all"}""")]
    [InlineData("""{"telemetry":"local"}""")]
    [InlineData("""{"other":"setting"}""")]
    [InlineData("{}")]
    public void Read_AnythingButOff_ForcesNothing(string contents)
    {
        Assert.False(ReadWith(contents).ForcesOff);
    }

    [Theory]
    [InlineData("""{"telemetry":"disabled"}""", "is not off|local|errors|all, so off")]
    [InlineData("""{"telemetry": """, "not valid JSON, so off")]
    [InlineData("telemetry=off", "not valid JSON, so off")]
    public void Read_PolicyThatCannotBeUnderstood_ForcesOff(string contents, string detail)
    {
        var policy = ReadWith(contents);

        Assert.True(policy.ForcesOff);
        Assert.Contains(detail, policy.Detail);
    }

    [Fact]
    public void Read_PolicyThatCannotBeRead_ForcesOff()
    {
        var files = new RecordingFileSystem { FailReads = _ => new UnauthorizedAccessException("denied") };

        var policy = MachinePolicy.Read(files, _path);

        Assert.True(policy.ForcesOff);
        Assert.Contains("cannot be read", policy.Detail);
    }

    [Fact]
    public void DefaultPath_IsThePlatformsPolicyPlace()
    {
        var path = MachinePolicy.DefaultPath();

        if (OperatingSystem.IsWindows())
        {
            Assert.EndsWith(Path.Combine("Candor", "policy.json"), path);
        }
        else
        {
            Assert.Equal("/etc/candor/policy.json", path);
        }
    }

    [Fact]
    public void Read_PolicyWithInvalidUtf8_ForcesOff()
    {
        File.WriteAllBytes(_path, BrokenBytes.For(BrokenBytes.InvalidUtf8, "telemetry", "all"));

        var policy = MachinePolicy.Read(PhysicalFileSystem.Instance, _path);

        Assert.True(policy.ForcesOff);
    }

    [Fact]
    public void Read_PolicyThatIsANamedPipe_ForcesOffWithoutWaiting()
    {
        Fifo.Make(_path);

        var policy = Bounded.Run(() => MachinePolicy.Read(PhysicalFileSystem.Instance, _path), "reading the policy");

        Assert.True(policy.ForcesOff);
    }
}
