using System.Runtime.InteropServices;

namespace Candor.Collector.Storage.DayRollups;

internal static partial class DayRollup
{
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
}
