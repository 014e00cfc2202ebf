using System.Runtime.InteropServices;

namespace Candor.Collector.Storage.Sqlite;

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
            install += (long)Varint.Read(installs, ref position);
            set.Add(install);
        }
    }

    /// <summary>
    /// Collects one name's per-install rollup rows of one day, in any order, and encodes them: every part, only
    /// one (<c>only</c>), or every part but the contexts (<see cref="WithoutContexts"/>).
    /// </summary>
    // Rows are added tens of thousands at a time while a reader waits for its page, so the entries are gathered in
    // hash maps (sorted once, when encoded) and the context of the row before is remembered (rows arrive grouped
    // by context).
    internal sealed class Builder
    {
        private readonly Dictionary<long, ContextPart> _contexts = [];
        private readonly ContextPart _totals = new();
        private readonly bool _withContexts;
        private readonly bool _withTotals;
        private readonly long _valuesOf;
        private long _lastContext = -1;
        private ContextPart? _last;

        public Builder(long? only = null)
            : this(withContexts: only is null or ContextsPart, withTotals: only is null or >= 0, valuesOf: only is null ? -1 : only > 0 ? only.Value : long.MaxValue)
        {
        }

        private Builder(bool withContexts, bool withTotals, long valuesOf)
        {
            _withContexts = withContexts;
            _withTotals = withTotals;
            _valuesOf = valuesOf;
        }

        /// <summary>A builder of the totals part and every field part, without the contexts part.</summary>
        public static Builder WithoutContexts() => new(withContexts: false, withTotals: true, valuesOf: -1);

        public void Add(long context, long install, long n, ReadOnlySpan<byte> summary)
        {
            var part = _withContexts ? ContextOf(context) : null;
            part?.Add(n, install);
            if (_withTotals)
            {
                _totals.Add(n, install);
            }

            // Every field's values go to the context; the totals take one field's or every field's.
            var values = RollupSummary.Values(summary, part is null ? _valuesOf : -1);
            while (values.MoveNext())
            {
                var key = Key(values.Field, values.Current.Key);
                part?.AddValue(key, values.Current.N, install);
                if (_withTotals && (_valuesOf < 0 || values.Field == _valuesOf))
                {
                    _totals.AddValue(key, values.Current.N, install);
                }
            }

            var buckets = RollupSummary.Buckets(summary, field: -1);
            while (buckets.MoveNext())
            {
                var key = Key(buckets.Field, buckets.Current.Key);
                part?.AddBucket(key, buckets.Current.N);
                if (_withTotals)
                {
                    _totals.AddBucket(key, buckets.Current.N);
                }
            }
        }

        private ContextPart ContextOf(long context)
        {
            if (_last is null || context != _lastContext)
            {
                if (!_contexts.TryGetValue(context, out _last))
                {
                    _contexts[context] = _last = new ContextPart();
                }

                _lastContext = context;
            }

            return _last;
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
            output.Varint((ulong)_totals.Top);
            WriteInstalls(section, _totals.Installs);
            output.Section(section);
            section.Clear();
            WriteBuckets(section, _totals.Buckets);
            output.Section(section);
            parts.Add((TotalsPart, output.ToArray()));

            var values = SortedKeys(_totals.Values.Keys);
            for (var start = 0; start < values.Length;)
            {
                var field = FieldOf(values[start]);
                var end = start;
                while (end < values.Length && FieldOf(values[end]) == field)
                {
                    end++;
                }

                output.Clear();
                WriteValues(output, values.AsSpan(start, end - start), _totals.Values);
                parts.Add((field, output.ToArray()));
                start = end;
            }

            return parts;
        }

        private static long[] SortedKeys(Dictionary<long, ValueEntry>.KeyCollection keys)
        {
            var sorted = new long[keys.Count];
            keys.CopyTo(sorted, 0);
            Array.Sort(sorted);
            return sorted;
        }

        private static void WriteValues(Output output, ReadOnlySpan<long> keys, Dictionary<long, ValueEntry> values)
        {
            var installs = new Output();
            output.Varint((ulong)keys.Length);
            foreach (var key in keys)
            {
                var entry = values[key];
                output.Varint((ulong)FieldOf(key));
                output.Varint((ulong)ValueOf(key));
                output.Varint((ulong)entry.Events);
                output.Varint((ulong)entry.Top);
                installs.Clear();
                WriteInstalls(installs, entry.Installs);
                output.Section(installs);
            }
        }

        private static void WriteBuckets(Output output, Dictionary<long, long> buckets)
        {
            var keys = new long[buckets.Count];
            buckets.Keys.CopyTo(keys, 0);
            Array.Sort(keys);
            output.Varint((ulong)keys.Length);
            foreach (var key in keys)
            {
                output.Varint((ulong)FieldOf(key));
                output.Varint((ulong)ValueOf(key));
                output.Varint((ulong)buckets[key]);
            }
        }

        private byte[] Build()
        {
            var output = new Output();
            var section = new Output();
            output.Varint((ulong)_contexts.Count);
            foreach (var context in _contexts.Keys.Order())
            {
                var part = _contexts[context];
                output.Varint((ulong)context);
                output.Varint((ulong)part.Events);
                output.Varint((ulong)part.Top);

                section.Clear();
                WriteInstalls(section, part.Installs);
                output.Section(section);

                section.Clear();
                WriteValues(section, SortedKeys(part.Values.Keys), part.Values);
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

        // A property field and one of its values, or a duration field and one of its buckets, as one number that
        // sorts as the pair does: maps keyed by a long need no code compiled for a key type of their own, which a
        // page built right after a start would otherwise wait for. Fields and values are string row IDs and
        // buckets small numbers, far below the 2^31 and 2^32 this leaves them.
        private static long Key(long field, long value)
        {
            if ((ulong)field > int.MaxValue || (ulong)value > uint.MaxValue)
            {
                throw new InvalidOperationException($"field {field} or value {value} is out of the range a day rollup encodes");
            }

            return (field << 32) | value;
        }

        private static long FieldOf(long key) => key >> 32;

        private static long ValueOf(long key) => key & uint.MaxValue;

        private sealed class ContextPart
        {
            public long Events { get; private set; }

            /// <summary>The largest count of one row added.</summary>
            public long Top { get; private set; }

            public List<long> Installs { get; } = [];

            public Dictionary<long, ValueEntry> Values { get; } = [];

            public Dictionary<long, long> Buckets { get; } = [];

            public void Add(long n, long install)
            {
                Events += n;
                Top = Math.Max(Top, n);
                Installs.Add(install);
            }

            public void AddValue(long key, long n, long install)
            {
                ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(Values, key, out _);
                entry ??= new ValueEntry();
                entry.Events += n;
                entry.Top = Math.Max(entry.Top, n);
                entry.Installs.Add(install);
            }

            public void AddBucket(long key, long n) => CollectionsMarshal.GetValueRefOrAddDefault(Buckets, key, out _) += n;
        }

        private sealed class ValueEntry
        {
            public long Events { get; set; }

            public long Top { get; set; }

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
            Events = (long)Varint.Read(data, ref position);
            Top = (long)Varint.Read(data, ref position);
            var length = (int)Varint.Read(data, ref position);
            Installs = data.Slice(position, length);
            position += length;
            length = (int)Varint.Read(data, ref position);
            _buckets = data.Slice(position, length);
        }

        public long Events { get; }

        /// <summary>The largest count of one install in one context that day.</summary>
        public long Top { get; }

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
            _left = data.IsEmpty ? 0 : (long)Varint.Read(data, ref _position);
        }

        public long Context { get; private set; }

        public long Events { get; private set; }

        /// <summary>The current context's largest count of one install.</summary>
        public long Top { get; private set; }

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
            Context = (long)Varint.Read(_data, ref _position);
            Events = (long)Varint.Read(_data, ref _position);
            Top = (long)Varint.Read(_data, ref _position);
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
            var length = (int)Varint.Read(_data, ref _position);
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
            _left = data.IsEmpty ? 0 : (long)Varint.Read(data, ref _position);
        }

        public long Value { get; private set; }

        public long Events { get; private set; }

        /// <summary>The largest count of the value in one install's row.</summary>
        public long Top { get; private set; }

        public ReadOnlySpan<byte> Installs { get; private set; }

        public bool MoveNext()
        {
            while (_left > 0)
            {
                _left--;
                var field = (long)Varint.Read(_data, ref _position);
                Value = (long)Varint.Read(_data, ref _position);
                Events = (long)Varint.Read(_data, ref _position);
                Top = (long)Varint.Read(_data, ref _position);
                var length = (int)Varint.Read(_data, ref _position);
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
            _left = data.IsEmpty ? 0 : (long)Varint.Read(data, ref _position);
        }

        public long Bucket { get; private set; }

        public long Events { get; private set; }

        public bool MoveNext()
        {
            while (_left > 0)
            {
                _left--;
                var field = (long)Varint.Read(_data, ref _position);
                Bucket = (long)Varint.Read(_data, ref _position);
                Events = (long)Varint.Read(_data, ref _position);
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

        private int _length;

        public int Length => _length;

        public void Clear() => _length = 0;

        public void Varint(ulong value)
        {
            Ensure(Storage.Varint.MaxLength);
            Storage.Varint.Write(_buffer, ref _length, value);
        }

        public void Section(Output section)
        {
            Varint((ulong)section.Length);
            Ensure(section.Length);
            section._buffer.AsSpan(0, section.Length).CopyTo(_buffer.AsSpan(Length));
            _length += section.Length;
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

/// <summary>One part of one event name's day rollup as the file keeps it, for the version of its day it was built for.</summary>
internal sealed record DayRollupRow(long Product, long Name, long Part, long Day, long Version, byte[] Data);
