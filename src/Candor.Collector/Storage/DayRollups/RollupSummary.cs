using Candor.Manifest;

namespace Candor.Collector.Storage.DayRollups;

/// <summary>
/// What one install's events of one name did on one day, beyond their count: how often each declared property
/// value occurred and how the durations fell into <see cref="DurationHistogram"/> buckets. Kept as one small blob
/// per rollup row instead of one row per value, because at tens of millions of events a row per value, context,
/// install and day costs more than the raw events themselves, and each of those rows is another write per event.
/// Fields and values are interned string IDs; a bucket is its number.
/// <para>
/// Layout: <c>varint count</c>, then per property value <c>varint field, varint value, varint n</c>; then
/// <c>varint count</c>, then per duration bucket <c>varint field, varint bucket, varint n</c>. Entries are sorted
/// by field, then value or bucket, so merging two summaries is one pass.
/// </para>
/// </summary>
internal sealed class RollupSummary
{
    private readonly List<Entry> _values = new(16);
    private readonly List<Entry> _buckets = new(4);

    /// <summary>How many events the summary counts.</summary>
    public long Events { get; set; }

    public bool IsEmpty => _values.Count == 0 && _buckets.Count == 0;

    public void AddValue(long field, long value) => Add(_values, field, value, 1);

    /// <summary>Counts <paramref name="n"/> occurrences of a property value at once (a store that kept them counted elsewhere).</summary>
    public void AddValue(long field, long value, long n) => Add(_values, field, value, n);

    public void AddBucket(long field, int bucket) => Add(_buckets, field, bucket, 1);

    /// <summary>
    /// Counts one event: one more event, each of its property values, and the bucket of each of its durations. Both
    /// stores count what an event adds to the rollups with this; <paramref name="intern"/> gives a string's ID.
    /// </summary>
    public void Count(IncomingEvent e, Func<string, long> intern)
    {
        Events++;
        foreach (var property in e.Properties)
        {
            var field = intern(property.Field.Name);
            foreach (var value in property.Values)
            {
                AddValue(field, intern(value));
            }
        }

        foreach (var measurement in e.Measurements)
        {
            if (measurement.Field.Kind is FieldKind.Duration)
            {
                AddBucket(intern(measurement.Field.Name), DurationHistogram.BucketOf(measurement.Value));
            }
        }
    }

    /// <summary>The (field, value, n) of each property value counted, unsorted.</summary>
    public IEnumerable<(long Field, long Value, long N)> CountedValues => _values.Select(e => (e.Field, e.Key, e.N));

    /// <summary>The (field, bucket, n) of each duration bucket counted, unsorted.</summary>
    public IEnumerable<(long Field, long Bucket, long N)> CountedBuckets => _buckets.Select(e => (e.Field, e.Key, e.N));

    /// <summary>The encoded entries, or <see langword="null"/> when the events had no properties or durations.</summary>
    public byte[]? Encode()
    {
        if (IsEmpty)
        {
            return null;
        }

        _values.Sort();
        _buckets.Sort();
        var buffer = new byte[(_values.Count + _buckets.Count) * 30 + 20];
        var length = 0;
        Write(buffer, ref length, _values);
        Write(buffer, ref length, _buckets);
        return buffer[..length];
    }

    /// <summary>The union of two encoded summaries, counts added (SQLite calls this when a rollup row exists already).</summary>
    public static byte[]? Merge(byte[]? stored, byte[]? adding)
    {
        if (stored is null || stored.Length == 0)
        {
            return adding;
        }

        if (adding is null || adding.Length == 0)
        {
            return stored;
        }

        var left = new Reader(stored);
        var right = new Reader(adding);
        var buffer = new byte[stored.Length + adding.Length];
        var length = 0;
        MergeSection(ref left, ref right, buffer, ref length);
        MergeSection(ref left, ref right, buffer, ref length);
        return buffer[..length];
    }

    /// <summary>The (value, n) entries of one property field, or of every field when <paramref name="field"/> is negative.</summary>
    public static EntryEnumerator Values(ReadOnlySpan<byte> summary, long field) => new(summary, section: 0, field);

    /// <summary>The (bucket, n) entries of one duration field, or of every field when <paramref name="field"/> is negative.</summary>
    public static EntryEnumerator Buckets(ReadOnlySpan<byte> summary, long field) => new(summary, section: 1, field);

    private static void Add(List<Entry> entries, long field, long key, long n)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Field == field && entries[i].Key == key)
            {
                entries[i] = entries[i] with { N = entries[i].N + n };
                return;
            }
        }

        entries.Add(new Entry(field, key, n));
    }

    private static void Write(byte[] buffer, ref int length, List<Entry> entries)
    {
        Varint.Write(buffer, ref length, (ulong)entries.Count);
        foreach (var entry in entries)
        {
            WriteEntry(buffer, ref length, entry);
        }
    }

    private static void WriteEntry(byte[] buffer, ref int length, Entry entry)
    {
        Varint.Write(buffer, ref length, (ulong)entry.Field);
        Varint.Write(buffer, ref length, (ulong)entry.Key);
        Varint.Write(buffer, ref length, (ulong)entry.N);
    }

    // The merged count is written before the entries, so the section is merged into a list first; sections hold
    // a few dozen entries.
    private static void MergeSection(ref Reader left, ref Reader right, byte[] buffer, ref int length)
    {
        var a = left.Entries();
        var b = right.Entries();
        var merged = new List<Entry>(a.Count + b.Count);
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            var order = i == a.Count ? 1 : j == b.Count ? -1 : a[i].CompareTo(b[j]);
            if (order == 0)
            {
                merged.Add(a[i] with { N = a[i].N + b[j].N });
                i++;
                j++;
            }
            else
            {
                merged.Add(order < 0 ? a[i++] : b[j++]);
            }
        }

        Write(buffer, ref length, merged);
    }

    private readonly record struct Entry(long Field, long Key, long N) : IComparable<Entry>
    {
        public int CompareTo(Entry other) => Field != other.Field ? Field.CompareTo(other.Field) : Key.CompareTo(other.Key);
    }

    /// <summary>Reads the entries of one field of one section, without allocating.</summary>
    public ref struct EntryEnumerator
    {
        private readonly long _field;
        private Reader _reader;
        private int _left;

        public EntryEnumerator(ReadOnlySpan<byte> summary, int section, long field)
        {
            _field = field;
            _reader = new Reader(summary);
            _left = 0;
            if (summary.IsEmpty)
            {
                return;
            }

            _left = (int)_reader.Varint();
            for (var s = 0; s < section; s++)
            {
                for (var i = 0; i < _left * 3; i++)
                {
                    _reader.Varint();
                }

                _left = (int)_reader.Varint();
            }
        }

        public (long Key, long N) Current { get; private set; }

        /// <summary>The field of <see cref="Current"/>.</summary>
        public long Field { get; private set; }

        public readonly EntryEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (_left > 0)
            {
                _left--;
                var field = (long)_reader.Varint();
                var key = (long)_reader.Varint();
                var n = (long)_reader.Varint();
                if (field == _field || _field < 0)
                {
                    Current = (key, n);
                    Field = field;
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

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public ulong Varint() => Storage.Varint.Read(_data, ref _position);

        public List<Entry> Entries()
        {
            var count = (int)Varint();
            var entries = new List<Entry>(count);
            for (var i = 0; i < count; i++)
            {
                entries.Add(new Entry((long)Varint(), (long)Varint(), (long)Varint()));
            }

            return entries;
        }
    }
}
