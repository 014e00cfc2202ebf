using Candor.Collector.Storage;

namespace Candor.Collector.Tests.Storage;

/// <summary>
/// The store's single queries with each row's fingerprint and one-install bound set to 0, for tests that check
/// what was counted; <see cref="EventStoreContract"/> checks the fingerprints and bounds on their own.
/// </summary>
internal static class ExactCounts
{
    public static async Task<List<PeriodCount>> CountEventsExactAsync(this IEventStore store, EventFilter filter, Interval interval, CancellationToken cancellationToken) =>
        [.. (await store.CountEventsAsync(filter, interval, cancellationToken)).Select(static c => c with { Fingerprint = 0, Heaviest = 0 })];

    public static async Task<List<GroupCount>> CountByPropertyExactAsync(this IEventStore store, EventFilter filter, string property, CancellationToken cancellationToken) =>
        [.. (await store.CountByPropertyAsync(filter, property, cancellationToken)).Select(static c => c with { Fingerprint = 0, Heaviest = 0 })];

    public static async Task<List<GroupCount>> CountByContextExactAsync(this IEventStore store, EventFilter filter, ContextDimension dimension, CancellationToken cancellationToken) =>
        [.. (await store.CountByContextAsync(filter, dimension, cancellationToken)).Select(static c => c with { Fingerprint = 0, Heaviest = 0 })];

    /// <summary>The row without its fingerprint and one-install bound.</summary>
    public static PeriodCount Exact(this PeriodCount count) => count with { Fingerprint = 0, Heaviest = 0 };

    /// <summary>The group without its fingerprint and one-install bound.</summary>
    public static GroupCount Exact(this GroupCount count) => count with { Fingerprint = 0, Heaviest = 0 };
}
