namespace Candor.Identity;

/// <summary>The random ID of this process's session: one per process, shared by every product in it, never stored.</summary>
internal static class SessionId
{
    public static Guid Current { get; } = Guid.NewGuid();
}
