namespace Candor.Collector.Storage;

/// <summary>Where each context dimension a breakdown can group by is kept in the <c>contexts</c> table, the same in both stores.</summary>
internal static class ContextColumns
{
    /// <summary>
    /// The column holding <paramref name="dimension"/>'s interned string ID, or null for the container, which is a bit
    /// of the <c>flags</c> column (<see cref="ContextFlags.Container"/>).
    /// </summary>
    public static string? Interned(ContextDimension dimension) => dimension switch
    {
        ContextDimension.Version => "version",
        ContextDimension.Os => "os",
        ContextDimension.Runtime => "runtime",
        ContextDimension.Country => "country",
        ContextDimension.Ci => "ci",
        ContextDimension.Container => null,
        _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
    };
}
