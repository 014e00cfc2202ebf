using System.Buffers.Binary;
using Candor.Manifest;

namespace Candor.Collector.Storage;

/// <summary>
/// Packs an event's properties and measurements into a few bytes for the stores, using what the manifest
/// revision already says: a field is its index in the event's declaration, an enum member or a bucket its index,
/// a hash its 16 raw bytes, a version or a stack signature the ID of an interned string, a whole number a varint.
/// Decoding needs the same manifest revision, which the event row names.
/// </summary>
internal static class PropertyCodec
{
    public static byte[]? Encode(IncomingEvent e, Func<string, long> intern)
    {
        if (e.Properties.Count == 0 && e.Measurements.Count == 0)
        {
            return null;
        }

        var writer = new ByteWriter();
        foreach (var property in e.Properties)
        {
            writer.Varint((ulong)IndexOfField(e.Definition, property.Field));
            if (property.Field.Kind is FieldKind.List)
            {
                writer.Varint((ulong)property.Values.Count);
                foreach (var item in property.Values)
                {
                    EncodeValue(writer, property.Field.Item!, item, intern);
                }
            }
            else
            {
                EncodeValue(writer, property.Field, property.Values[0], intern);
            }
        }

        foreach (var measurement in e.Measurements)
        {
            writer.Varint((ulong)IndexOfField(e.Definition, measurement.Field));
            var value = measurement.Value;
            if (value == Math.Floor(value) && Math.Abs(value) < (1L << 52))
            {
                var whole = (long)value;
                writer.Varint(ZigZag(whole) << 1);
            }
            else
            {
                writer.Varint(1);
                writer.Double(value);
            }
        }

        return writer.ToArray();
    }

    public static (Dictionary<string, object> Properties, Dictionary<string, double> Measurements) Decode(
        ReadOnlySpan<byte> data, EventDefinition definition, Func<long, string> lookup)
    {
        var properties = new Dictionary<string, object>(StringComparer.Ordinal);
        var measurements = new Dictionary<string, double>(StringComparer.Ordinal);
        var reader = new ByteReader(data);
        while (!reader.End)
        {
            var field = definition.Fields[(int)reader.Varint()];
            if (field.IsMeasurement)
            {
                var header = reader.Varint();
                measurements[field.Name] = (header & 1) == 0 ? UnZigZag(header >> 1) : reader.Double();
            }
            else if (field.Kind is FieldKind.List)
            {
                var items = new string[(int)reader.Varint()];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = (string)DecodeValue(ref reader, field.Item!, lookup);
                }

                properties[field.Name] = items;
            }
            else
            {
                properties[field.Name] = DecodeValue(ref reader, field, lookup);
            }
        }

        return (properties, measurements);
    }

    private static int IndexOfField(EventDefinition definition, FieldDefinition field)
    {
        for (var i = 0; i < definition.Fields.Count; i++)
        {
            if (ReferenceEquals(definition.Fields[i], field))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"field '{field.Name}' does not belong to event '{definition.Name}'");
    }

    private static void EncodeValue(ByteWriter writer, FieldDefinition field, string value, Func<string, long> intern)
    {
        switch (field.Kind)
        {
            case FieldKind.Enum:
                writer.Varint((ulong)IndexOf(field.Values, value));
                break;
            case FieldKind.Bucket:
                writer.Varint((ulong)IndexOf(field.BucketLabels, value));
                break;
            case FieldKind.Bool:
                writer.Byte(value == "true" ? (byte)1 : (byte)0);
                break;
            case FieldKind.Hash:
                writer.Hash(value);
                break;
            case FieldKind.NameOrHash:
                var allowed = IndexOf(field.Allow, value, missing: -1);
                if (allowed < 0)
                {
                    writer.Varint(0);
                    writer.Hash(value);
                }
                else
                {
                    writer.Varint((ulong)allowed + 1);
                }

                break;
            case FieldKind.Version:
            case FieldKind.Stack:
                writer.Varint((ulong)intern(value));
                break;
            default:
                throw new InvalidOperationException($"kind {field.Kind} is not a property value");
        }
    }

    private static object DecodeValue(ref ByteReader reader, FieldDefinition field, Func<long, string> lookup) =>
        field.Kind switch
        {
            FieldKind.Enum => field.Values[(int)reader.Varint()],
            FieldKind.Bucket => field.BucketLabels[(int)reader.Varint()],
            FieldKind.Bool => reader.Byte() == 1,
            FieldKind.Hash => reader.Hash(),
            FieldKind.NameOrHash => reader.Varint() is var n && n == 0 ? reader.Hash() : field.Allow[(int)n - 1],
            FieldKind.Version or FieldKind.Stack => lookup((long)reader.Varint()),
            _ => throw new InvalidOperationException($"kind {field.Kind} is not a property value"),
        };

    private static int IndexOf(IReadOnlyList<string> list, string value, int missing = int.MinValue)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return missing != int.MinValue ? missing : throw new InvalidOperationException($"'{value}' is not a declared value");
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private sealed class ByteWriter
    {
        private byte[] _buffer = new byte[64];
        private int _length;

        public void Byte(byte value)
        {
            Ensure(1);
            _buffer[_length++] = value;
        }

        public void Varint(ulong value)
        {
            Ensure(Storage.Varint.MaxLength);
            Storage.Varint.Write(_buffer, ref _length, value);
        }

        public void Double(double value)
        {
            Ensure(8);
            BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_length), value);
            _length += 8;
        }

        public void Hash(string hex)
        {
            Ensure(16);
            Convert.FromHexString(hex, _buffer.AsSpan(_length, 16), out _, out _);
            _length += 16;
        }

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        private void Ensure(int more)
        {
            if (_length + more > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
            }
        }
    }

    private ref struct ByteReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool End => _position >= _data.Length;

        public byte Byte() => _data[_position++];

        public ulong Varint() => Storage.Varint.Read(_data, ref _position);

        public double Double()
        {
            var value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
            _position += 8;
            return value;
        }

        public string Hash()
        {
            var hex = Convert.ToHexStringLower(_data.Slice(_position, 16));
            _position += 16;
            return hex;
        }
    }
}
