namespace Candor.Platform;

/// <summary>
/// Copies a read-only list into an array by index. A spread (<c>[.. list]</c>) goes through LINQ's <c>ToArray</c>, and
/// <c>foreach</c> through the list's interface enumerator: each is a dozen types and methods more for every run that
/// records to load, for lists of a handful of items (see bench/exit-time/first-calls.sh).
/// </summary>
internal static class ListCopy
{
    public static T[] ToArray<T>(IReadOnlyList<T> list)
    {
        var copy = new T[list.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = list[i];
        }

        return copy;
    }
}
