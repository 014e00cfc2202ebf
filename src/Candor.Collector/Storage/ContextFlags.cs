namespace Candor.Collector.Storage;

/// <summary>The bits of a context's <c>flags</c> column, the same in both stores.</summary>
internal static class ContextFlags
{
    public const int Container = 1;
    public const int Wsl = 2;
    public const int Interactive = 4;
}
