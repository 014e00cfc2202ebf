using Candor.Collector.Storage.DayRollups;
using Candor.Manifest;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteWriter
{
    public AppendOutcome[] Append(IReadOnlyList<IncomingEvent> events)
    {
        var outcomes = new AppendOutcome[events.Count];
        var exists = _exists ??= new SqliteStatement(_connection, "SELECT 1 FROM events WHERE product = ?1 AND time = ?2 AND id = ?3");
        var stage = _stage ??= new SqliteStatement(_connection, """
            INSERT INTO staged_events(product, time, id, name, revision, install, context, data)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """);
        Span<byte> id = stackalloc byte[16];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var product = ProductId(e.Product);
            var time = e.Time.ToUnixTimeMilliseconds();
            e.Id.TryWriteBytes(id);
            // The ID is de-duplicated together with the time, which a retry carries unchanged (the events key).
            exists.Bind(1, product);
            exists.Bind(2, time);
            exists.Bind(3, id);
            if (exists.HasRow() || !_staged.Add((product, time, e.Id)))
            {
                outcomes[i] = AppendOutcome.Duplicate;
                continue;
            }

            var name = Intern(e.Definition.Name);
            var install = InstallId(product, e.Install, e.Verifier);
            var context = ContextId(e.Context);
            stage.Bind(1, product);
            stage.Bind(2, time);
            stage.Bind(3, id);
            stage.Bind(4, name);
            stage.Bind(5, e.Revision);
            stage.Bind(6, install);
            stage.Bind(7, context);
            if (PropertyCodec.Encode(e, Intern) is { } data)
            {
                stage.Bind(8, data);
            }
            else
            {
                stage.BindNull(8);
            }

            stage.Execute();
            outcomes[i] = AppendOutcome.Stored;
            var day = Math.DivRem(time, SqliteSchema.MillisecondsPerDay).Quotient;
            var key = new RollupKey(product, name, day, context, install);
            if (!_rollup.TryGetValue(key, out var summary))
            {
                summary = new RollupSummary();
                _rollup[key] = summary;
            }

            summary.Count(e, Intern);
            var anyKey = key with { Name = SqliteSchema.AnyEvent };
            if (!_rollup.TryGetValue(anyKey, out var any))
            {
                any = new RollupSummary();
                _rollup[anyKey] = any;
            }

            any.Events++;
        }

        return outcomes;
    }

    // What this transaction's events add to the rollups, staged with them.
    private void StageRollups()
    {
        if (_rollup.Count == 0)
        {
            return;
        }

        var stage = _stageRollups ??= new SqliteStatement(_connection, "INSERT INTO staged_rollups(data) VALUES (?1)");
        stage.Bind(1, RollupDeltas.Encode(_rollup));
        stage.Execute();
        _rollup.Clear();
    }
}
