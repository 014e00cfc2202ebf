using Candor.Delivery;

// The name and shape the runtime looks for in DOTNET_STARTUP_HOOKS: a type `StartupHook` outside any namespace, with
// `public static void Initialize()`, run before the program's Main.
#pragma warning disable CA1050 // The runtime finds the hook only in the global namespace.

/// <summary>
/// A self-contained tool on a machine without a .NET host runs its own uploader: the tool's executable is started
/// again with this assembly as its startup hook and <see cref="SelfHostedUploader.Variable"/> naming the Candor home;
/// the hook does the uploader's work and ends the process before the tool's <c>Main</c>, so none of the tool's code
/// runs. (A Native AOT tool has no startup hooks; the SDK's module initializer does the same there.)
/// </summary>
internal static class StartupHook
{
    public static void Initialize() => SelfHostedUploader.RunIfAsked(runtimeCompiled: true);
}
