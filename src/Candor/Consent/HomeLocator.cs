using Candor.Platform;
using Candor.Storage;

namespace Candor.Consent;

/// <summary>Finds the Candor home without ever throwing, and says why when there is none.</summary>
internal static class HomeLocator
{
    /// <summary>The home, or null with a sentence for <c>status</c> saying why there is none.</summary>
    public static (CandorHome? Home, string? Problem) Find(IEnvironment environment)
    {
        try
        {
            var home = CandorHome.Resolve(environment);
            return home is null
                ? (null, $"no Candor home: set {CandorHome.Variable} or give the user a profile folder")
                : (home, null);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
        {
            // A CANDOR_HOME the platform cannot take as a path (a NUL character, too long): no home, not a crash.
            return (null, $"{CandorHome.Variable} is not a usable path ({ex.GetType().Name})");
        }
    }
}
