using System.Globalization;
using Candor.Collector.Storage.DayRollups;
using Microsoft.Data.Sqlite;

namespace Candor.Collector.Storage.Sqlite;

internal sealed partial class SqliteEventStore
{
    /// <summary>String IDs looked up by value as asked, and values by ID all at once at the end (<see cref="LookUp"/>).</summary>
    private sealed class Strings(SqliteConnection connection) : RollupNames
    {
        // -1: no such string (IDs are row IDs, never negative).
        private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal);

        public long? Find(string value)
        {
            if (!_ids.TryGetValue(value, out var id))
            {
                _ids[value] = id = Scalar(connection, "SELECT id FROM strings WHERE value = $value", value) ?? -1;
            }

            return id < 0 ? null : id;
        }

        public void LookUp(CancellationToken cancellationToken)
        {
            if (Wanted.Count == 0)
            {
                return;
            }

            var ids = new System.Text.StringBuilder("[");
            foreach (var id in Wanted)
            {
                ids.Append(ids.Length > 1 ? "," : "").Append(id.ToString(CultureInfo.InvariantCulture));
            }

            Scan(
                connection,
                "SELECT id, value FROM strings WHERE id IN (SELECT value FROM json_each($ids))",
                cmd => cmd.Parameters.AddWithValue("$ids", ids.Append(']').ToString()),
                row => Found(row.Long(0), row.Text(1)),
                cancellationToken);
        }
    }
}
