namespace Candor.Collector.Storage;

/// <summary>
/// Everything the queries need about one event name on one day, in one blob: per context, the event count, the
/// set of installs, each property value's count and install set, and each duration bucket's count. It is built
/// from that day's per-install rollup rows (which stay the record of truth) and replaces them for queries: a
/// query then reads one blob per name and day and adds up sets, instead of stepping one SQLite row per install.
/// <para>
/// Layout: <c>varint contexts</c>; per context, ascending: <c>varint context, varint n</c>, then three sections,
/// each <c>varint byte length</c> and its bytes: the installs (ascending, each the varint difference to the one
/// before); the property values (<c>varint entries</c>, then per entry, sorted by field and value,
/// <c>varint field, varint value, varint n, varint byte length</c> and its installs as above); the duration
/// buckets (<c>varint entries</c>, then <c>varint field, varint bucket, varint n</c> each). The lengths let a
/// query skip what it does not read.
/// </para>
/// </summary>
internal static class DayRollup
{
    /// <summary>Adds every install of an encoded install list to <paramref name="set"/>.</summary>
    public static void AddInstalls(ReadOnlySpan<byte> installs, InstallSet set)
    {
        long install = 0;
        var position = 0;
        while (position < installs.Length)
        {
            install += (long)ReadVarint(installs, ref position);
            set.Add(install);
        }
    }

    internal static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
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

    /// <summary>Collects one name's per-install rollup rows of one day, in any order, and encodes them.</summary>
    internal sealed class Builder
    {
        private readonly SortedDictionary<long, ContextPart> _contexts = [];

        public bool IsEmpty => _contexts.Count == 0;

        public void Add(long context, long install, long n, ReadOnlySpan<byte> summary)
        {
            if (!_contexts.TryGetValue(context, out var part))
            {
                _contexts[context] = part = new ContextPart();
            }

            part.Events += n;
            part.Installs.Add(install);
            var values = RollupSummary.Values(summary, field: -1);
            while (values.MoveNext())
            {
                var key = (values.Field, values.Current.Key);
                if (!part.Values.TryGetValue(key, out var entry))
                {
                    part.Values[key] = entry = new ValueEntry();
                }

                entry.Events += values.Current.N;
                entry.Installs.Add(install);
            }

            var buckets = RollupSummary.Buckets(summary, field: -1);
            while (buckets.MoveNext())
            {
                var key = (buckets.Field, buckets.Current.Key);
                part.Buckets[key] = part.Buckets.GetValueOrDefault(key) + buckets.Current.N;
            }
        }

        public byte[] Build()
        {
            var output = new Output();
            var section = new Output();
            output.Varint((ulong)_contexts.Count);
            foreach (var (context, part) in _contexts)
            {
                output.Varint((ulong)context);
                output.Varint((ulong)part.Events);

                section.Clear();
                WriteInstalls(section, part.Installs);
                output.Section(section);

                section.Clear();
                var installs = new Output();
                section.Varint((ulong)part.Values.Count);
                foreach (var ((field, value), entry) in part.Values)
                {
                    section.Varint((ulong)field);
                    section.Varint((ulong)value);
                    section.Varint((ulong)entry.Events);
                    installs.Clear();
                    WriteInstalls(installs, entry.Installs);
                    section.Section(installs);
                }

                output.Section(section);

                section.Clear();
                section.Varint((ulong)part.Buckets.Count);
                foreach (var ((field, bucket), n) in part.Buckets)
                {
                    section.Varint((ulong)field);
                    section.Varint((ulong)bucket);
                    section.Varint((ulong)n);
                }

                output.Section(section);
            }

            return output.ToArray();
        }

        // Rows usually arrive in install order already (the rollups' key ends with the install); sorting is for
        // any other order, and an install is never listed twice because a day's row is unique per install.
        private static void WriteInstalls(Output output, List<long> installs)
        {
            if (!IsAscending(installs))
            {
                installs.Sort();
            }

            long previous = 0;
            foreach (var install in installs)
            {
                output.Varint((ulong)(install - previous));
                previous = install;
            }
        }

        private static bool IsAscending(List<long> installs)
        {
            for (var i = 1; i < installs.Count; i++)
            {
                if (installs[i] <= installs[i - 1])
                {
                    return false;
                }
            }

            return true;
        }

        private sealed class ContextPart
        {
            public long Events { get; set; }

            public List<long> Installs { get; } = [];

            public SortedDictionary<(long Field, long Value), ValueEntry> Values { get; } = [];

            public SortedDictionary<(long Field, long Bucket), long> Buckets { get; } = [];
        }

        private sealed class ValueEntry
        {
            public long Events { get; set; }

            public List<long> Installs { get; } = [];
        }
    }

    /// <summary>Steps the contexts of one encoded day rollup without allocating.</summary>
    internal ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _position;
        private long _left;

        public Reader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _left = data.IsEmpty ? 0 : (long)ReadVarint(data, ref _position);
        }

        public long Context { get; private set; }

        public long Events { get; private set; }

        /// <summary>The current context's installs, for <see cref="AddInstalls"/>.</summary>
        public ReadOnlySpan<byte> Installs { get; private set; }

        private ReadOnlySpan<byte> ValuesSection { get; set; }

        private ReadOnlySpan<byte> BucketsSection { get; set; }

        public bool MoveNext()
        {
            if (_left == 0)
            {
                return false;
            }

            _left--;
            Context = (long)ReadVarint(_data, ref _position);
            Events = (long)ReadVarint(_data, ref _position);
            Installs = Section();
            ValuesSection = Section();
            BucketsSection = Section();
            return true;
        }

        /// <summary>The current context's entries of one property field.</summary>
        public readonly ValueEnumerator Values(long field) => new(ValuesSection, field);

        /// <summary>The current context's (bucket, n) entries of one duration field.</summary>
        public readonly BucketEnumerator Buckets(long field) => new(BucketsSection, field);

        private ReadOnlySpan<byte> Section()
        {
            var length = (int)ReadVarint(_data, ref _position);
            var section = _data.Slice(_position, length);
            _position += length;
            return section;
        }
    }

    /// <summary>The value entries of one field in a context's values section.</summary>
    internal ref struct ValueEnumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly long _field;
        private int _position;
        private long _left;

        public ValueEnumerator(ReadOnlySpan<byte> data, long field)
        {
            _data = data;
            _field = field;
            _left = data.IsEmpty ? 0 : (long)ReadVarint(data, ref _position);
        }

        public long Value { get; private set; }

        public long Events { get; private set; }

        public ReadOnlySpan<byte> Installs { get; private set; }

        public bool MoveNext()
        {
            while (_left > 0)
            {
                _left--;
                var field = (long)ReadVarint(_data, ref _position);
                Value = (long)ReadVarint(_data, ref _position);
                Events = (long)ReadVarint(_data, ref _position);
                var length = (int)ReadVarint(_data, ref _position);
                Installs = _data.Slice(_position, length);
                _position += length;
                if (field == _field)
                {
                    return true;
                }

                if (field > _field)
                {
                    _left = 0;
                }
            }

            return false;
        }
    }

    /// <summary>The bucket entries of one field in a context's buckets section.</summary>
    internal ref struct BucketEnumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly long _field;
        private int _position;
        private long _left;

        public BucketEnumerator(ReadOnlySpan<byte> data, long field)
        {
            _data = data;
            _field = field;
            _left = data.IsEmpty ? 0 : (long)ReadVarint(data, ref _position);
        }

        public long Bucket { get; private set; }

        public long Events { get; private set; }

        public bool MoveNext()
        {
            while (_left > 0)
            {
                _left--;
                var field = (long)ReadVarint(_data, ref _position);
                Bucket = (long)ReadVarint(_data, ref _position);
                Events = (long)ReadVarint(_data, ref _position);
                if (field == _field)
                {
                    return true;
                }

                if (field > _field)
                {
                    _left = 0;
                }
            }

            return false;
        }
    }

    private sealed class Output
    {
        private byte[] _buffer = new byte[256];

        public int Length { get; private set; }

        public void Clear() => Length = 0;

        public void Varint(ulong value)
        {
            Ensure(10);
            while (value >= 0x80)
            {
                _buffer[Length++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _buffer[Length++] = (byte)value;
        }

        public void Section(Output section)
        {
            Varint((ulong)section.Length);
            Ensure(section.Length);
            section._buffer.AsSpan(0, section.Length).CopyTo(_buffer.AsSpan(Length));
            Length += section.Length;
        }

        public byte[] ToArray() => _buffer[..Length];

        private void Ensure(int more)
        {
            if (Length + more > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + more));
            }
        }
    }
}
