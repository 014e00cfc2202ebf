using System.Collections.Immutable;
using Candor.Collector.Ingestion;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Collector.Storage.DayRollups;
using Candor.Collector.Storage.Sqlite;
using Candor.Manifest;
using Microsoft.Extensions.Time.Testing;

namespace Candor.Collector.Tests.Storage;

public class RollupSummaryTests
{
    // What both stores count for an event: the event, every value of every property (each item of a list), and the
    // bucket of each duration; a measurement of another kind (retries, a number) is not bucketed.
    [Fact]
    public void Count_AnEvent_CountsItsValuesAndItsDurationsBuckets()
    {
        var product = new CatalogProduct(
            new ProductRecord(Some.Product, 14, 5, Some.Now),
            ImmutableSortedDictionary<int, TelemetryManifest>.Empty.Add(1, TelemetryManifest.Parse(Some.ManifestJson)));
        var (e, refusal) = new EventValidator(new FakeTimeProvider(Some.Now)).Validate(Some.Install(packages: ["zlib", "openssl"], buildTime: 1200), product, "", TimeSpan.FromDays(1));
        Assert.Null(refusal);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        long Intern(string value) => ids.TryGetValue(value, out var id) ? id : ids[value] = ids.Count + 1;
        var summary = new RollupSummary();

        summary.Count(e!, Intern);
        summary.Count(e!, Intern);

        Assert.Equal(2, summary.Events);
        var packages = ids["packages"];
        Assert.Equal([(ids["zlib"], 2L), (ids["openssl"], 2L)], summary.CountedValues.Where(v => v.Field == packages).Select(v => (v.Value, v.N)).Order());
        Assert.Equal(e!.Properties.Sum(p => p.Values.Count), summary.CountedValues.Count());
        var bucket = Assert.Single(summary.CountedBuckets);
        Assert.Equal((ids["buildTime"], (long)DurationHistogram.BucketOf(1200), 2L), bucket);
    }

    [Fact]
    public void Encode_NoValuesOrDurations_IsNull()
    {
        var summary = new RollupSummary { Events = 3 };

        Assert.Null(summary.Encode());
    }

    [Fact]
    public void Values_OfOneField_AreCountedAndOtherFieldsLeftOut()
    {
        var summary = new RollupSummary();
        summary.AddValue(field: 7, value: 40);
        summary.AddValue(field: 7, value: 41);
        summary.AddValue(field: 7, value: 40);
        summary.AddValue(field: 9, value: 40);
        summary.AddBucket(field: 7, bucket: 350);

        var encoded = summary.Encode()!;

        Assert.Equal([(40L, 2L), (41L, 1L)], Read(RollupSummary.Values(encoded, 7)));
        Assert.Equal([(40L, 1L)], Read(RollupSummary.Values(encoded, 9)));
        Assert.Equal([(350L, 1L)], Read(RollupSummary.Buckets(encoded, 7)));
        Assert.Empty(Read(RollupSummary.Values(encoded, 8)));
    }

    [Fact]
    public void Merge_AddsCountsOfTheSameEntryAndKeepsEveryOther()
    {
        var stored = new RollupSummary();
        stored.AddValue(1, 10);
        stored.AddValue(2, 20);
        stored.AddBucket(3, 100);
        var adding = new RollupSummary();
        adding.AddValue(1, 10);
        adding.AddValue(1, 11);
        adding.AddBucket(3, 100);
        adding.AddBucket(3, 101);

        var merged = RollupSummary.Merge(stored.Encode(), adding.Encode())!;

        Assert.Equal([(10L, 2L), (11L, 1L)], Read(RollupSummary.Values(merged, 1)));
        Assert.Equal([(20L, 1L)], Read(RollupSummary.Values(merged, 2)));
        Assert.Equal([(100L, 2L), (101L, 1L)], Read(RollupSummary.Buckets(merged, 3)));
    }

    [Fact]
    public void Merge_WithNothing_KeepsTheOtherSide()
    {
        var summary = new RollupSummary();
        summary.AddValue(1, 10);
        var encoded = summary.Encode();

        Assert.Same(encoded, RollupSummary.Merge(null, encoded));
        Assert.Same(encoded, RollupSummary.Merge(encoded, null));
    }

    [Fact]
    public void Merge_LargeCounts_GrowTheirVarintsWithoutLosingEntries()
    {
        var big = new RollupSummary();
        for (var i = 0; i < 127; i++)
        {
            big.AddValue(1, 5);
        }

        var one = new RollupSummary();
        one.AddValue(1, 5);
        one.AddValue(1, 6);

        var merged = RollupSummary.Merge(big.Encode(), one.Encode())!;

        Assert.Equal([(5L, 128L), (6L, 1L)], Read(RollupSummary.Values(merged, 1)));
    }

    private static List<(long, long)> Read(RollupSummary.EntryEnumerator entries)
    {
        var read = new List<(long, long)>();
        foreach (var entry in entries)
        {
            read.Add(entry);
        }

        return read;
    }
}
