using System.Buffers;
using Candor.Collector.Storage.DayRollups;

namespace Candor.Collector.Storage.Sqlite;

/// <summary>One rollup row's key, ordered as the <c>rollups</c> table's primary key.</summary>
internal readonly record struct RollupKey(long Product, long Name, long Day, long Context, long Install) : IComparable<RollupKey>
{
    public int CompareTo(RollupKey other)
    {
        var order = Product.CompareTo(other.Product);
        order = order != 0 ? order : Name.CompareTo(other.Name);
        order = order != 0 ? order : Day.CompareTo(other.Day);
        order = order != 0 ? order : Context.CompareTo(other.Context);
        return order != 0 ? order : Install.CompareTo(other.Install);
    }
}

/// <summary>
/// What one transaction adds to the rollups, as one blob: the SQLite store commits it with the staged events and
/// adds it to the rollups when it folds them, so that a rollup page is written once per fold rather than once per
/// commit, and a restart folds what a stopped process left.
/// <para>
/// Layout: per row <c>varint product, name, day, context, install, n, summary length</c>, then the
/// <see cref="RollupSummary"/> bytes (length 0: none).
/// </para>
/// </summary>
internal static class RollupDeltas
{
    public static byte[] Encode(Dictionary<RollupKey, RollupSummary> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(rows.Count * 48);
        foreach (var (key, summary) in rows)
        {
            var encoded = summary.Encode();
            var span = buffer.GetSpan((8 * 10) + (encoded?.Length ?? 0));
            var length = 0;
            Varint(span, ref length, key.Product);
            Varint(span, ref length, key.Name);
            Varint(span, ref length, key.Day);
            Varint(span, ref length, key.Context);
            Varint(span, ref length, key.Install);
            Varint(span, ref length, summary.Events);
            Varint(span, ref length, encoded?.Length ?? 0);
            encoded?.CopyTo(span[length..]);
            buffer.Advance(length + (encoded?.Length ?? 0));
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Adds the rows of <paramref name="data"/> to <paramref name="into"/>: counts added, summaries merged.</summary>
    public static void AddTo(ReadOnlySpan<byte> data, Dictionary<RollupKey, (long Events, byte[]? Summary)> into)
    {
        var position = 0;
        while (position < data.Length)
        {
            var key = new RollupKey(Read(data, ref position), Read(data, ref position), Read(data, ref position), Read(data, ref position), Read(data, ref position));
            var events = Read(data, ref position);
            var length = (int)Read(data, ref position);
            var summary = length == 0 ? null : data.Slice(position, length).ToArray();
            position += length;
            into[key] = into.TryGetValue(key, out var row) ? (row.Events + events, RollupSummary.Merge(row.Summary, summary)) : (events, summary);
        }
    }

    private static void Varint(Span<byte> buffer, ref int length, long value) => Storage.Varint.Write(buffer, ref length, (ulong)value);

    private static long Read(ReadOnlySpan<byte> data, ref int position) => (long)Storage.Varint.Read(data, ref position);
}
