using Candor.Collector.Storage.DayRollups;

namespace Candor.Collector.Storage.Postgres;

internal sealed partial class PostgresRecentDays
{
    /// <summary>What one build made of a day: per event name the builders of the kinds it built.</summary>
    private sealed class Build
    {
        private readonly Dictionary<long, List<Held>> _names = [];

        // Name 0's rows, one install in one context with its events of every name added up: what its top bounds.
        private readonly Dictionary<(long Context, long Install), long>? _any;
        private readonly bool _whole;

        public Build(PostgresDayRollups.BuiltDay built, IReadOnlyDictionary<long, PartKinds>? only)
        {
            Snapshot = built.Snapshot;
            _whole = only is null;
            _any = built.Any;
            var names = only ?? built.Names.ToDictionary(n => n, _ => PartKinds.Contexts | PartKinds.Rest);
            foreach (var (name, kinds) in names)
            {
                // A name without rows that day has no builder in the build: held as an empty one, which has no parts.
                // One with rows starts with the parts the build encoded.
                _names[name] = [built.BuilderOf(name) is { } builder
                    ? new Held(kinds, builder, [.. built.Parts.Where(p => p.Name == name).Select(p => (p.Part, p.Data))])
                    : new Held(kinds, NewBuilder(kinds), null)];
            }
        }

        public XidSnapshot Snapshot { get; }

        public bool TryFind(long name, long part, out byte[]? data)
        {
            data = null;
            var kind = part == DayRollup.ContextsPart ? PartKinds.Contexts : PartKinds.Rest;
            if (_names.TryGetValue(name, out var builders))
            {
                foreach (var held in builders)
                {
                    if ((held.Kinds & kind) != 0)
                    {
                        data = held.Find(part);
                        return true;
                    }
                }
            }

            return _whole;
        }

        public void Fold((int Product, DateOnly Day) key, PostgresCommitRows rows)
        {
            foreach (var row in rows.Events)
            {
                if ((row.Product, row.Day) != key)
                {
                    continue;
                }

                foreach (var held in Builders(row.Name))
                {
                    held.AddToRow(row.Context, row.Install, row.N, row.Total);
                }

                if (_any is not null)
                {
                    var total = _any[(row.Context, row.Install)] = _any.GetValueOrDefault((row.Context, row.Install)) + row.N;
                    foreach (var held in Builders(RollupRead.AnyEvent))
                    {
                        held.AddToRow(row.Context, row.Install, row.N, total);
                    }
                }
            }

            foreach (var row in rows.Values)
            {
                if ((row.Product, row.Day) == key)
                {
                    foreach (var held in Builders(row.Name))
                    {
                        held.AddValue(row.Context, row.Install, row.Field, row.Value, row.N, row.Total);
                    }
                }
            }

            foreach (var row in rows.Measures)
            {
                if ((row.Product, row.Day) == key)
                {
                    foreach (var held in Builders(row.Name))
                    {
                        held.AddBucket(row.Context, row.Field, row.Bucket, row.N);
                    }
                }
            }
        }

        // The builders of a name; a name first seen in a whole day gets one of every part.
        private List<Held> Builders(long name)
        {
            if (!_names.TryGetValue(name, out var builders))
            {
                _names[name] = builders = [];
                if (_whole)
                {
                    builders.Add(new Held(PartKinds.Contexts | PartKinds.Rest, NewBuilder(PartKinds.Contexts | PartKinds.Rest), null));
                }
            }

            return builders;
        }

        private static DayRollup.Builder NewBuilder(PartKinds kinds) => kinds switch
        {
            PartKinds.Contexts => new DayRollup.Builder(DayRollup.ContextsPart),
            PartKinds.Rest => DayRollup.Builder.WithoutContexts(),
            _ => new DayRollup.Builder(),
        };
    }

    /// <summary>
    /// One builder held, of the kinds of part it makes, and its parts as last encoded; with none given, it has had no
    /// rows yet, so no parts.
    /// </summary>
    private sealed class Held(PartKinds kinds, DayRollup.Builder builder, List<(long Part, byte[] Data)>? parts)
    {
        private List<(long Part, byte[] Data)>? _parts = parts;
        private bool _rows = parts is not null;

        public PartKinds Kinds { get; } = kinds;

        public byte[]? Find(long part)
        {
            if (!_rows)
            {
                return null;
            }

            _parts ??= builder.BuildParts();
            foreach (var (p, data) in _parts)
            {
                if (p == part)
                {
                    return data;
                }
            }

            return null;
        }

        public void AddToRow(long context, long install, long n, long total)
        {
            builder.AddToRow(context, install, n, total);
            Changed();
        }

        public void AddValue(long context, long install, long field, long value, long n, long total)
        {
            builder.AddValue(context, install, field, value, n, total);
            Changed();
        }

        public void AddBucket(long context, long field, long bucket, long n)
        {
            builder.AddBucket(context, field, bucket, n);
            Changed();
        }

        private void Changed()
        {
            _rows = true;
            _parts = null;
        }
    }
}
