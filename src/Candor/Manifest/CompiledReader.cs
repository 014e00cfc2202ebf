using System.Buffers.Binary;
using Candor.Json;

namespace Candor.Manifest;

/// <summary>
/// Reads what <see cref="BinaryWriter"/> wrote (little-endian numbers, one-byte booleans, strings as their UTF-8 length
/// in 7-bit groups and their bytes) straight from the bytes, as <see cref="BinaryReader"/> would. The compiled manifest
/// is read at every start, telemetry off included, and the reader's stream, decoder and string builder cost more than
/// the few strings it holds.
/// </summary>
internal ref struct CompiledReader(ReadOnlySpan<byte> bytes, int position = 0)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    /// <summary>Where the next value starts.</summary>
    public int Position { get; private set; } = position;

    /// <exception cref="EndOfStreamException">The bytes end before the value.</exception>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(sizeof(ulong)));

    /// <exception cref="EndOfStreamException">The bytes end before the value.</exception>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(sizeof(int)));

    /// <summary>How many items follow: each takes at least a byte, so a count past the bytes left is refused before anything is made for it.</summary>
    /// <exception cref="EndOfStreamException">The bytes end before the value.</exception>
    /// <exception cref="InvalidDataException">The count is negative or more than the bytes left could hold.</exception>
    public int ReadCount()
    {
        var count = ReadInt32();
        return count >= 0 && count <= _bytes.Length - Position
            ? count
            : throw new InvalidDataException($"a count of {count} in the compiled manifest at byte {Position}");
    }

    /// <exception cref="EndOfStreamException">The bytes end before the value.</exception>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(sizeof(double)));

    /// <exception cref="EndOfStreamException">The bytes end before the value.</exception>
    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <exception cref="EndOfStreamException">The bytes end before the value.</exception>
    /// <exception cref="InvalidDataException">The length is not one <see cref="BinaryWriter"/> writes.</exception>
    public string ReadString() => Utf8Text.Decode(Take(ReadLength()));

    /// <exception cref="EndOfStreamException">The bytes end before <paramref name="length"/> more.</exception>
    public ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || length > _bytes.Length - Position)
        {
            throw new EndOfStreamException($"the compiled manifest ends before byte {Position} + {length}");
        }

        var taken = _bytes.Slice(Position, length);
        Position += length;
        return taken;
    }

    // A non-negative 32-bit number in groups of seven bits, lowest first, the high bit saying another follows.
    private int ReadLength()
    {
        var value = 0u;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value <= int.MaxValue && (shift < 28 || b <= 0x0F)
                    ? (int)value
                    : throw new InvalidDataException("a string length in the compiled manifest is out of range");
            }
        }

        throw new InvalidDataException("a string length in the compiled manifest runs past five bytes");
    }
}
