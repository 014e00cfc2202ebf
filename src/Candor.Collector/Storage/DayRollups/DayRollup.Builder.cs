using System.Runtime.InteropServices;

namespace Candor.Collector.Storage.DayRollups;

internal static partial class DayRollup
{
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
            part?.Add(n, install, n);
            if (_withTotals)
            {
                _totals.Add(n, install, n);
            }

            // Every field's values go to the context; the totals take one field's or every field's.
            var values = RollupSummary.Values(summary, part is null ? _valuesOf : -1);
            while (values.MoveNext())
            {
                var key = Key(values.Field, values.Current.Key);
                part?.AddValue(key, values.Current.N, install, values.Current.N);
                if (_withTotals && (_valuesOf < 0 || values.Field == _valuesOf))
                {
                    _totals.AddValue(key, values.Current.N, install, values.Current.N);
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

        /// <summary>
        /// <paramref name="n"/> more events of a row (one install in one context, with no values) whose count is now
        /// <paramref name="total"/>: what a commit added to a row already counted. The row's total, not what was
        /// added, is what <c>top</c> bounds, so the parts come out as a build from the rows would make them.
        /// </summary>
        public void AddToRow(long context, long install, long n, long total)
        {
            var part = _withContexts ? ContextOf(context) : null;
            part?.Add(n, install, total);
            if (_withTotals)
            {
                _totals.Add(n, install, total);
            }
        }

        /// <summary>As <see cref="AddToRow"/>, for a value's row: <paramref name="n"/> more, <paramref name="total"/> now.</summary>
        public void AddValue(long context, long install, long field, long value, long n, long total)
        {
            var key = Key(field, value);
            if (_withContexts)
            {
                ContextOf(context).AddValue(key, n, install, total);
            }

            if (_withTotals && (_valuesOf < 0 || field == _valuesOf))
            {
                _totals.AddValue(key, n, install, total);
            }
        }

        /// <summary>Events of one context in one duration bucket, as <see cref="AddValue(long, long, long, long, long, long)"/> for values.</summary>
        public void AddBucket(long context, long field, long bucket, long n)
        {
            var key = Key(field, bucket);
            if (_withContexts)
            {
                ContextOf(context).AddBucket(key, n);
            }

            if (_withTotals)
            {
                _totals.AddBucket(key, n);
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
        // once; install numbers are row IDs, never 0). A list sorted here loses its repeats too, so that a builder
        // held and added to (commits folded in, PostgresRecentDays) does not grow by one install per event.
        private static void WriteInstalls(Output output, List<long> installs)
        {
            if (!IsAscending(installs))
            {
                installs.Sort();
                var kept = 0;
                for (var i = 0; i < installs.Count; i++)
                {
                    if (kept == 0 || installs[i] != installs[kept - 1])
                    {
                        installs[kept++] = installs[i];
                    }
                }

                installs.RemoveRange(kept, installs.Count - kept);
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

            public void Add(long n, long install, long total)
            {
                Events += n;
                Top = Math.Max(Top, total);
                Installs.Add(install);
            }

            public void AddValue(long key, long n, long install, long total)
            {
                ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(Values, key, out _);
                entry ??= new ValueEntry();
                entry.Events += n;
                entry.Top = Math.Max(entry.Top, total);
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
