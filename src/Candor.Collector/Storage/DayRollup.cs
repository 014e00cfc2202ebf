namespace Candor.Collector.Storage;

/// <summary>
/// Everything the queries need about one event name on one day, in a few blobs ("parts"), built from that day's
/// per-install rollup rows (which stay the record of truth) and read instead of them: a query reads one blob per
/// name and day and adds up install sets, instead of stepping one SQLite row per install.
/// <list type="bullet">
/// <item><see cref="TotalsPart"/>: <c>varint n</c>, then two sections, each <c>varint byte length</c> and its
/// bytes: the day's installs (ascending, each the varint difference to the one before) and the duration buckets
/// (<c>varint entries</c>, then <c>varint field, varint bucket, varint n</c> each, sorted).</item>
/// <item>One part per property field, its string ID: <c>varint entries</c>, then per value, sorted,
/// <c>varint field, varint value, varint n, varint byte length</c> and the installs with that value, as above.</item>
/// <item><see cref="ContextsPart"/>, for filters on the context and grouping by it: <c>varint contexts</c>; per
/// context, ascending: <c>varint context, varint n</c>, then three sections: its installs, its property values
/// (<c>varint entries</c>, then entries as in a field part, sorted by field and value) and its duration buckets
/// (as in the totals part).</item>
/// </list>
/// The section lengths let a query skip what it does not read; the parts let it not read them at all.
/// </summary>
internal static class DayRollup
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

    /// <summary>
    /// Collects one name's per-install rollup rows of one day, in any order, and encodes them: every part, or only
    /// <paramref name="only"/> when the day is built for one query and not kept.
    /// </summary>
    internal sealed class Builder(long? only = null)
    {
        private readonly SortedDictionary<long, ContextPart> _contexts = [];
        private readonly ContextPart _totals = new();
        private readonly bool _withContexts = only is null or ContextsPart;
        private readonly bool _withTotals = only is null or >= 0;
        private readonly long _valuesOf = only is null ? -1 : only > 0 ? only.Value : long.MaxValue;

        public void Add(long context, long install, long n, ReadOnlySpan<byte> summary)
        {
            ContextPart? part = null;
            if (_withContexts && !_contexts.TryGetValue(context, out part))
            {
                _contexts[context] = part = new ContextPart();
            }

            if (_withContexts)
            {
                Add(part!, install, n, summary, valuesOf: -1);
            }

            if (_withTotals)
            {
                Add(_totals, install, n, summary, _valuesOf);
            }
        }

        // valuesOf: the field whose values to gather, -1 for every field.
        private static void Add(ContextPart part, long install, long n, ReadOnlySpan<byte> summary, long valuesOf)
        {
            part.Events += n;
            part.Installs.Add(install);
            var values = RollupSummary.Values(summary, valuesOf);
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

        /// <summary>Every part built: the contexts, the totals, one per property field that has values.</summary>
        public List<(long Part, byte[] Data)> BuildParts()
        {
            var parts = new List<(long, byte[])>();
            if (_withContexts)
            {
                parts.Add((ContextsPart, Build()));
            }

            if (!_withTotals)
            {
                return parts;
            }

            var output = new Output();
            var section = new Output();
            output.Varint((ulong)_totals.Events);
            WriteInstalls(section, _totals.Installs);
            output.Section(section);
            section.Clear();
            WriteBuckets(section, _totals.Buckets);
            output.Section(section);
            parts.Add((TotalsPart, output.ToArray()));

            foreach (var field in _totals.Values.Keys.Select(k => k.Field).Distinct())
            {
                output.Clear();
                WriteValues(output, _totals.Values.Where(v => v.Key.Field == field).ToList());
                parts.Add((field, output.ToArray()));
            }

            return parts;
        }

        private static void WriteValues(Output output, IReadOnlyCollection<KeyValuePair<(long Field, long Value), ValueEntry>> values)
        {
            var installs = new Output();
            output.Varint((ulong)values.Count);
            foreach (var ((field, value), entry) in values)
            {
                output.Varint((ulong)field);
                output.Varint((ulong)value);
                output.Varint((ulong)entry.Events);
                installs.Clear();
                WriteInstalls(installs, entry.Installs);
                output.Section(installs);
            }
        }

        private static void WriteBuckets(Output output, SortedDictionary<(long Field, long Bucket), long> buckets)
        {
            output.Varint((ulong)buckets.Count);
            foreach (var ((field, bucket), n) in buckets)
            {
                output.Varint((ulong)field);
                output.Varint((ulong)bucket);
                output.Varint((ulong)n);
            }
        }

        private byte[] Build()
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
                WriteValues(section, part.Values);
                output.Section(section);

                section.Clear();
                WriteBuckets(section, part.Buckets);
                output.Section(section);
            }

            return output.ToArray();
        }

        // Within a context, rows arrive in install order (the rollups' key ends with the install); the totals
        // gather installs from every context, and an install that changed context during the day is in two (written
        // once; install numbers are row IDs, never 0).
        private static void WriteInstalls(Output output, List<long> installs)
        {
            if (!IsAscending(installs))
            {
                installs.Sort();
            }

            long previous = 0;
            foreach (var install in installs)
            {
                if (install != previous)
                {
                    output.Varint((ulong)(install - previous));
                    previous = install;
                }
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

    /// <summary>Reads a <see cref="TotalsPart"/>.</summary>
    internal readonly ref struct Totals
    {
        private readonly ReadOnlySpan<byte> _buckets;

        public Totals(ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty)
            {
                return;
            }

            var position = 0;
            Events = (long)ReadVarint(data, ref position);
            var length = (int)ReadVarint(data, ref position);
            Installs = data.Slice(position, length);
            position += length;
            length = (int)ReadVarint(data, ref position);
            _buckets = data.Slice(position, length);
        }

        public long Events { get; }

        public ReadOnlySpan<byte> Installs { get; }

        /// <summary>The day's (bucket, n) entries of one duration field.</summary>
        public BucketEnumerator Buckets(long field) => new(_buckets, field);
    }

    /// <summary>Steps the contexts of a <see cref="ContextsPart"/> without allocating.</summary>
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
