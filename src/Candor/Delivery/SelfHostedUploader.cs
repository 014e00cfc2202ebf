using System.Runtime.CompilerServices;

namespace Candor.Delivery;

/// <summary>
/// A tool on a machine without a .NET host runs its own uploader: the tool's executable is started again with
/// <see cref="Variable"/> naming the Candor home, and code that runs before the tool's <c>Main</c> does the uploader's
/// work and ends the process, so none of the tool's own code runs. Compiled ahead of time, that is this module
/// initializer (Native AOT runs them before <c>Main</c>); compiled at run time (a self-contained tool), the uploader's
/// startup hook (<c>DOTNET_STARTUP_HOOKS</c>), which the runtime runs before <c>Main</c>.
/// </summary>
internal static class SelfHostedUploader
{
    /// <summary>The variable that turns a Native AOT tool's process into its uploader; its value is the Candor home.</summary>
    public const string Variable = "CANDOR_UPLOADER_HOME";

    /// <summary>The variable that carries the uploader's other arguments (<c>--lifetime 60 --wait</c>).</summary>
    public const string ArgumentsVariable = "CANDOR_UPLOADER_ARGS";

    /// <summary>The runtime's variable that names assemblies to run before <c>Main</c>.</summary>
    public const string StartupHooksVariable = "DOTNET_STARTUP_HOOKS";

    /// <summary>Whether this process runs as compiled ahead of time, where module initializers run before <c>Main</c>.</summary>
    public static bool IsCompiledAheadOfTime => !RuntimeFeature.IsDynamicCodeSupported;

#pragma warning disable CA2255 // A module initializer in a library: here it is the only code that runs before the tool's.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunIfAsked() => RunIfAsked(runtimeCompiled: false);

    /// <summary>
    /// Does the uploader's work and ends the process when <see cref="Variable"/> asks for it: from the module
    /// initializer when compiled ahead of time, from the startup hook when compiled at run time.
    /// </summary>
    public static void RunIfAsked(bool runtimeCompiled)
    {
        if (runtimeCompiled == IsCompiledAheadOfTime || Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } home)
        {
            return;
        }

        var arguments = (Environment.GetEnvironmentVariable(ArgumentsVariable) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Environment.Exit(DetachedUpload.Main([home, .. arguments]));
    }
}
