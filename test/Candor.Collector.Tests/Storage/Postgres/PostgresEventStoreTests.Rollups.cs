using Candor.Collector.Storage;
using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Postgres;
using Npgsql;

namespace Candor.Collector.Tests.Storage.Postgres;

public partial class PostgresEventStoreTests
{
    [DatabaseFact]
    public async Task Append_AnInstallsEventsOfADay_AreOneRollupRowWithTheirValuesPacked()
    {
        var alice = Guid.NewGuid();
        await Store.AppendAsync([Incoming(Some.Install(alice, packages: ["zlib", "openssl"])), Incoming(Some.Install(alice, packages: ["zlib"]))], default);
        await Store.AppendAsync([Incoming(Some.Install(alice, packages: ["zlib"]))], default);

        var rows = await RollupRowsAsync();
        var (n, values) = Assert.Single(rows);
        Assert.Equal(3, n);
        var zlib = await ScalarAsync<int>("SELECT id FROM strings WHERE value = 'zlib'");
        var openssl = await ScalarAsync<int>("SELECT id FROM strings WHERE value = 'openssl'");
        Assert.Equal(3, values[zlib]);
        Assert.Equal(1, values[openssl]);
        Assert.False(await ScalarAsync<bool>("SELECT to_regclass('rollup_values') IS NOT NULL"));
    }

    [DatabaseFact]
    public async Task Append_TwoCollectorsAddingToTheSameRollupRows_LoseNoCount()
    {
        await using var other = new PostgresEventStore(Options);
        await other.InitializeAsync(default);
        var installs = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();
        IncomingEvent Event(int i) => Incoming(Some.Install(installs[i % installs.Length], packages: i % 2 == 0 ? ["zlib"] : ["zlib", "openssl"]));

        // Different events of the same installs and day from both collectors at once: every batch adds to rows the
        // other may be adding to, or inserting, at that moment.
        var sends = Enumerable.Range(0, 20)
            .Select(b => (b % 2 == 0 ? Store : other).AppendAsync([.. Enumerable.Range(b * 15, 15).Select(Event)], default));
        var outcomes = (await Task.WhenAll(sends)).SelectMany(o => o).ToList();

        Assert.All(outcomes, o => Assert.Equal(AppendOutcome.Stored, o));
        Assert.Equal(installs.Length, (await RollupRowsAsync()).Count);
        var filter = new EventFilter(Some.Product, Today, Today, Event: "install");
        Assert.Equal([new GroupCount("zlib", 300, 3), new GroupCount("openssl", 150, 3)], await other.CountByPropertyExactAsync(filter, "packages", default));
        Assert.Equal([new PeriodCount(Today, 300, 3)], await Store.CountEventsExactAsync(filter, Interval.Total, default));
    }

    // The product's rollup rows of the install event: each row's count and its packed values by value ID.
    private async Task<List<(long N, Dictionary<long, long> Values)>> RollupRowsAsync()
    {
        var rows = new List<(long, Dictionary<long, long>)>();
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT n, summary FROM rollup_events WHERE name = (SELECT id FROM strings WHERE value = 'install')", connection);
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var values = new Dictionary<long, long>();
            var entries = RollupSummary.Values(reader.IsDBNull(1) ? [] : reader.GetFieldValue<byte[]>(1), -1);
            while (entries.MoveNext())
            {
                values[entries.Current.Key] = entries.Current.N;
            }

            rows.Add((reader.GetInt64(0), values));
        }

        return rows;
    }
}
