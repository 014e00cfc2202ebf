using Candor.Json;
using Candor.Storage;

namespace Candor.Consent;

/// <summary>
/// The policy an administrator places on a managed machine: <c>/etc/candor/policy.json</c> on Linux and macOS,
/// <c>%ProgramData%\Candor\policy.json</c> on Windows, holding <c>{"telemetry":"off"}</c>. A policy can only
/// force telemetry off; it never turns it on against a user's choice.
/// </summary>
/// <remarks>
/// Privacy first: a policy file that exists but cannot be read or understood (bad JSON, an unknown level,
/// no permission to read it) forces off too, because its presence says the machine is managed and the
/// administrator's intent is more likely "off" than anything else.
/// </remarks>
internal sealed class MachinePolicy
{
    private MachinePolicy(string path, bool forcesOff, string detail)
    {
        Path = path;
        ForcesOff = forcesOff;
        Detail = detail;
    }

    /// <summary>Where the policy was looked for.</summary>
    public string Path { get; }

    /// <summary>Whether the policy forces telemetry off.</summary>
    public bool ForcesOff { get; }

    /// <summary>For people: the file and what it says, e.g. <c>/etc/candor/policy.json: telemetry = off</c>.</summary>
    public string Detail { get; }

    /// <summary>The policy file's place on this platform.</summary>
    public static string DefaultPath()
    {
        return OperatingSystem.IsWindows() ? WindowsPath() : "/etc/candor/policy.json";
    }

    // Apart: the special folders' types are loaded when the method naming them is first called.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static string WindowsPath()
    {
        var programData = Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return System.IO.Path.Combine(string.IsNullOrEmpty(programData) ? @"C:\ProgramData" : programData, "Candor", "policy.json");
    }

    /// <summary>No policy: nothing forced.</summary>
    public static MachinePolicy None(string path) => new(path, forcesOff: false, $"{path}: absent");

    /// <summary>Reads the policy at <paramref name="path"/>. Never throws.</summary>
    public static MachinePolicy Read(IFileSystem files, string path)
    {
        byte[]? bytes;
        try
        {
            bytes = files.ReadAllBytesOrNull(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(path, forcesOff: true, $"{path}: cannot be read ({ex.GetType().Name}), so off");
        }

        if (bytes is null)
        {
            return None(path);
        }

        string? telemetry;
        try
        {
            telemetry = SettingsJson.ReadPolicyTelemetry(Utf8Text.WithoutBom(bytes));
        }
        catch (Exception ex) when (JsonProblems.IsMalformed(ex))
        {
            return new(path, forcesOff: true, $"{path}: not valid JSON, so off");
        }

        if (telemetry is null)
        {
            return new(path, forcesOff: false, $"{path}: no 'telemetry' setting");
        }

        if (!TelemetryLevelText.TryParse(telemetry, out var level))
        {
            return new(path, forcesOff: true, $"{path}: telemetry = '{telemetry}' is not {TelemetryLevelText.Choices}, so off");
        }

        return new(path, forcesOff: level == TelemetryLevel.Off, $"{path}: telemetry = {TelemetryLevelText.ToText(level)}");
    }
}
