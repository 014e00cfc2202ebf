using System.Runtime.CompilerServices;

namespace Candor.Delivery;

/// <summary>
/// A Native AOT tool on a machine without a .NET host runs its own uploader: the tool's executable is started again
/// with <see cref="Variable"/> naming the Candor home, and this module initializer, which Native AOT runs before the
/// tool's <c>Main</c>, does the uploader's work and ends the process, so none of the tool's own code runs.
/// </summary>
internal static class SelfHostedUploader
{
    /// <summary>The variable that turns a Native AOT tool's process into its uploader; its value is the Candor home.</summary>
    public const string Variable = "CANDOR_UPLOADER_HOME";

    /// <summary>The variable that carries the uploader's other arguments (<c>--lifetime 60 --wait</c>).</summary>
    public const string ArgumentsVariable = "CANDOR_UPLOADER_ARGS";

    /// <summary>Whether this process runs as compiled ahead of time, where module initializers run before <c>Main</c>.</summary>
    public static bool IsAvailable => !RuntimeFeature.IsDynamicCodeSupported;

#pragma warning disable CA2255 // A module initializer in a library: here it is the only code that runs before the tool's.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunIfAsked()
    {
        if (!IsAvailable || Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } home)
        {
            return;
        }

        var arguments = (Environment.GetEnvironmentVariable(ArgumentsVariable) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Environment.Exit(DetachedUpload.Main([home, .. arguments]));
    }
}
