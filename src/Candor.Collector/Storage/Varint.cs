namespace Candor.Collector.Storage;

/// <summary>
/// Unsigned LEB128: seven bits a byte, low bits first, the high bit set on every byte but the last. The integer
/// encoding of every blob the SQLite store packs (properties, rollup summaries, day rollups, staged rollup deltas).
/// </summary>
internal static class Varint
{
    /// <summary>The most bytes one value takes.</summary>
    public const int MaxLength = 10;

    /// <summary>Writes <paramref name="value"/> at <paramref name="length"/> and moves it past; the buffer must have room for <see cref="MaxLength"/> bytes.</summary>
    public static void Write(Span<byte> buffer, ref int length, ulong value)
    {
        while (value >= 0x80)
        {
            buffer[length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[length++] = (byte)value;
    }

    /// <summary>Reads the value at <paramref name="position"/> and moves it past.</summary>
    /// <exception cref="IndexOutOfRangeException">The data ends inside the value.</exception>
    public static ulong Read(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        var shift = 0;
        byte b;
        do
        {
            b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        return value;
    }
}
