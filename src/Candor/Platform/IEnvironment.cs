namespace Candor.Platform;

/// <summary>
/// Reads environment variables and platform folders, as a seam so tests run side by side with their own
/// variables instead of changing the process's.
/// </summary>
internal interface IEnvironment
{
    /// <summary>An environment variable's value, or <see langword="null"/> when unset.</summary>
    string? Get(string name);

    /// <summary>The user's configuration folder (XDG_CONFIG_HOME or ~/.config on Linux, %APPDATA% on Windows).</summary>
    string? ConfigFolder();
}

/// <summary>The process's real environment.</summary>
internal sealed class ProcessEnvironment : IEnvironment
{
    public static ProcessEnvironment Instance { get; } = new();

    public string? Get(string name) => Environment.GetEnvironmentVariable(name);

    public string? ConfigFolder()
    {
        var folder = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return string.IsNullOrEmpty(folder) ? null : folder;
    }
}
