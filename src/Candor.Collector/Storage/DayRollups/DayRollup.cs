using System.Runtime.InteropServices;

namespace Candor.Collector.Storage.DayRollups;

/// <summary>
/// Everything the queries need about one event name on one day, in a few blobs ("parts"), built from that day's
/// per-install rollup rows (which stay the record of truth) and read instead of them: a query reads one blob per
/// name and day and adds up install sets, instead of stepping one SQLite row per install.
/// <list type="bullet">
/// <item><see cref="TotalsPart"/>: <c>varint n, varint top</c>, then two sections, each <c>varint byte length</c> and its
/// bytes: the day's installs (ascending, each the varint difference to the one before) and the duration buckets
/// (<c>varint entries</c>, then <c>varint field, varint bucket, varint n</c> each, sorted).</item>
/// <item>One part per property field, its string ID: <c>varint entries</c>, then per value, sorted,
/// <c>varint field, varint value, varint n, varint top, varint byte length</c> and the installs with that value, as above.</item>
/// <item><see cref="ContextsPart"/>, for filters on the context and grouping by it: <c>varint contexts</c>; per
/// context, ascending: <c>varint context, varint n, varint top</c>, then three sections: its installs, its property values
/// (<c>varint entries</c>, then entries as in a field part, sorted by field and value) and its duration buckets
/// (as in the totals part).</item>
/// </list>
/// The section lengths let a query skip what it does not read; the parts let it not read them at all.
/// <para>
/// <c>top</c> is the largest count of one per-install rollup row (one install in one context) behind the entry:
/// the most that one install added to it that day, as far as one row shows. The queries add up the days' tops to
/// bound what one install can have added to a figure, which scales the noise of event counts (see
/// <c>FigureNoise</c>), without keeping every install's count.
/// </para>
/// </summary>
internal static partial class DayRollup
{
    /// <summary>The part with the whole day's count, installs and duration buckets.</summary>
    public const long TotalsPart = 0;

    /// <summary>The part with every context's count, installs, values and buckets.</summary>
    public const long ContextsPart = -1;

    /// <summary>Adds every install of an encoded install list to <paramref name="set"/>.</summary>
    public static void AddInstalls(ReadOnlySpan<byte> installs, InstallSet set)
    {
        long install = 0;
        var position = 0;
        while (position < installs.Length)
        {
            install += (long)Varint.Read(installs, ref position);
            set.Add(install);
        }
    }
}

/// <summary>One part of one event name's day rollup as the file keeps it, for the version of its day it was built for.</summary>
internal sealed record DayRollupRow(long Product, long Name, long Part, long Day, long Version, byte[] Data);
