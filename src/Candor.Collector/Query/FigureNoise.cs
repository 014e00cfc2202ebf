using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Candor.Collector.Storage;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Query;

/// <summary>
/// The sticky noise on every figure the query API and the dashboard publish, so that no combination of queries
/// recovers what the low-count filter hides (docs/privacy-model.md, "Published figures").
/// <para>
/// Each noise value is a pure function of a collector secret (kept in the store, the same for every collector on
/// it, never shown), the product, what the figure counts, the conditions that select it, the fingerprint of the
/// set of installs it counts and, for counts the set does not settle (events, buckets), the exact count itself.
/// So asking again, or asking for the same installs another way, gives the same figure, and averaging gains
/// nothing; two figures whose installs differ in one install get unrelated noise, so their difference is not that
/// install's contribution; and new data changes the set and so the noise.
/// </para>
/// <para>
/// A count gets two layers: one seeded by the set alone, which every phrasing of the same set shares, and one
/// seeded by the set and the conditions, which a figure with conditions adds. Each layer is normal with standard
/// deviation <see cref="NoiseOptions.Installs"/> for installs and buckets, and for events
/// <see cref="NoiseOptions.EventsPerHeaviest"/> times the store's bound on one install's events (at least the
/// installs' deviation), so that a heavy install's events are hidden too.
/// </para>
/// </summary>
internal sealed class FigureNoise(ICatalogueStore store, IOptions<NoiseOptions> options)
{
    /// <summary>The name of the store's secret that keys the noise.</summary>
    public const string SecretName = "figure-noise";

    private byte[]? _secret;

    /// <summary>The parameters in force, as every answer states them.</summary>
    public NoiseDescription Description => new(options.Value.Installs, options.Value.EventsPerHeaviest, options.Value.Threshold);

    /// <summary>Reads (or, on the store's first start, makes) the secret. The collector calls it once at start-up.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken) => _secret = await store.GetSecretAsync(SecretName, cancellationToken);

    /// <summary>A published count of distinct installs: never negative.</summary>
    public long Installs(Figure figure, long installs, long fingerprint) =>
        Publish(installs, options.Value.Installs, figure, "installs", fingerprint, 0, 0);

    /// <summary>A published count of events, its noise scaled by <paramref name="heaviest"/>, the bound on one install's events in it.</summary>
    public long Events(Figure figure, long events, long fingerprint, long heaviest) =>
        Publish(events, EventsDeviation(heaviest), figure, "events", fingerprint, events, heaviest);

    /// <summary>
    /// Publishes, in place, the counts of one period's duration buckets (each bucket once) of the installs with
    /// <paramref name="fingerprint"/>: each count gets noise as an installs count, seeded also by its bucket and
    /// its exact count.
    /// </summary>
    // A year of days has over a hundred thousand buckets, and a keyed hash of its own per bucket and layer took
    // most of such a query's time. So each layer hashes its seed once per period, into an AES-256 key, and each
    // bucket's standard normal value comes from the encryption of its (bucket, count) block under that key: a
    // keyed pseudo-random function as strong as the hash, whose 16 bytes give the two 53-bit uniforms as the
    // hash's first 16 bytes did. The buckets of a period are distinct blocks, so they get unrelated values.
    public void Buckets(Figure figure, string measurement, long fingerprint, Span<(int Bucket, long Count)> buckets)
    {
        var noise = new double[buckets.Length];
        var blocks = new byte[buckets.Length * 16];
        for (var i = 0; i < buckets.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(blocks.AsSpan(i * 16), buckets[i].Bucket);
            BinaryPrimitives.WriteInt64LittleEndian(blocks.AsSpan(i * 16 + 8), buckets[i].Count);
        }

        var measure = "buckets\0" + measurement;
        AddNormals(noise, blocks, figure.Product, measure, "", fingerprint);
        if (figure.Conditions.Length > 0)
        {
            AddNormals(noise, blocks, figure.Product, measure, figure.Conditions, fingerprint);
        }

        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i].Count = Math.Max(0, (long)Math.Round(buckets[i].Count + options.Value.Installs * noise[i], MidpointRounding.AwayFromZero));
        }
    }

    /// <summary>
    /// Whether a group of <paramref name="installs"/> distinct installs is shown under the product's
    /// <paramref name="k"/>: never a single install (when k is above 1), and otherwise when the installs reach k
    /// plus noise seeded by the set (normal, clipped at two deviations), so the same set is always decided alike and
    /// the boundary is not an exact count.
    /// </summary>
    public bool Shown(Figure figure, int k, long installs, long fingerprint)
    {
        if (k <= 1)
        {
            return installs > 0;
        }

        var deviation = options.Value.Threshold;
        var noise = Math.Clamp(deviation * Normal(figure.Product, "threshold", "", fingerprint, 0, 0), -2 * deviation, 2 * deviation);
        return installs >= 2 && installs >= k + noise;
    }

    /// <summary>
    /// How many of the slowest durations a percentile may not rest on: the bound on one install's events in the
    /// period (<paramref name="heaviest"/>) plus k, plus sticky noise. A percentile is read no higher than this
    /// many durations below the top, so no single install's slowest durations are ever an order statistic shown.
    /// </summary>
    public long Tail(Figure figure, string measurement, int k, long heaviest, long fingerprint)
    {
        var deviation = options.Value.Threshold;
        var noise = Math.Abs(deviation * Normal(figure.Product, "tail\0" + measurement, figure.Conditions, fingerprint, heaviest, 0));
        return heaviest + Math.Max(k, 1) + (long)Math.Ceiling(noise);
    }

    /// <summary>The standard deviation of each layer of an events count with this bound on one install's events.</summary>
    public double EventsDeviation(long heaviest) => Math.Max(options.Value.Installs, options.Value.EventsPerHeaviest * heaviest);

    private long Publish(long exact, double deviation, Figure figure, string measure, long fingerprint, long a, long b)
    {
        var noise = Normal(figure.Product, measure, "", fingerprint, a, b);
        if (figure.Conditions.Length > 0)
        {
            noise += Normal(figure.Product, measure, figure.Conditions, fingerprint, a, b);
        }

        return Math.Max(0, (long)Math.Round(exact + deviation * noise, MidpointRounding.AwayFromZero));
    }

    // A standard normal value from the keyed hash of everything that seeds it.
    private double Normal(string product, string measure, string conditions, long fingerprint, long a, long b)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(product, measure, conditions, fingerprint, a, b, hash);
        return Normal(hash);
    }

    // Adds to each noise value the standard normal value of its 16-byte block, encrypted under the key the seed
    // hashes to (see Buckets).
    private void AddNormals(Span<double> noise, byte[] blocks, string product, string measure, string conditions, long fingerprint)
    {
        Span<byte> key = stackalloc byte[32];
        Hash(product, measure, conditions, fingerprint, 0, 0, key);
        using var aes = Aes.Create();
        aes.SetKey(key);
        var encrypted = aes.EncryptEcb(blocks, PaddingMode.None);
        for (var i = 0; i < noise.Length; i++)
        {
            noise[i] += Normal(encrypted.AsSpan(i * 16, 16));
        }
    }

    // The HMAC-SHA256 of everything that seeds a noise value.
    private void Hash(string product, string measure, string conditions, long fingerprint, long a, long b, Span<byte> hash)
    {
        var secret = _secret ?? throw new InvalidOperationException("the noise secret is read at start-up, before any query");
        var text = Encoding.UTF8.GetBytes(product + "\0" + measure + "\0" + conditions + "\0");
        var input = new byte[text.Length + 24];
        text.CopyTo(input, 0);
        BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(text.Length), fingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(text.Length + 8), a);
        BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(text.Length + 16), b);
        HMACSHA256.HashData(secret, input, hash);
    }

    // Box-Muller over two 53-bit uniforms of 16 random bytes.
    private static double Normal(ReadOnlySpan<byte> random)
    {
        var u1 = ((BinaryPrimitives.ReadUInt64LittleEndian(random) >> 11) + 1) * (1.0 / (1UL << 53));
        var u2 = (BinaryPrimitives.ReadUInt64LittleEndian(random[8..]) >> 11) * (1.0 / (1UL << 53));
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>
/// What a figure is, apart from the installs it counts: the product and its conditions (the event, version, OS
/// and CI filters and the group's own value) in one canonical text, so that the same conditions asked another way
/// (a filter, or a group of a breakdown) seed the same noise.
/// </summary>
internal readonly record struct Figure(string Product, string Conditions)
{
    /// <summary>The figure of a filter's whole scope, or of one group of it (<paramref name="group"/> names the grouping, <paramref name="value"/> the group).</summary>
    public static Figure Of(EventFilter filter, string? group = null, string? value = null)
    {
        var conditions = new List<string>(5);
        Add(conditions, "event", filter.Event);
        Add(conditions, "version", filter.Version);
        Add(conditions, "os", filter.Os);
        Add(conditions, "ci", filter.Ci switch { true => "true", false => "false", null => null });
        if (group is not null)
        {
            // A breakdown by version or OS names the same installs as the filter on it.
            conditions.RemoveAll(c => c.StartsWith(group.Length + ":" + group + "=", StringComparison.Ordinal));
            Add(conditions, group, value ?? "");
        }

        conditions.Sort(StringComparer.Ordinal);
        return new Figure(filter.Product, string.Join(";", conditions));

        static void Add(List<string> conditions, string key, string? value)
        {
            if (value is not null)
            {
                conditions.Add($"{key.Length}:{key}={value.Length}:{value}");
            }
        }
    }

    /// <summary>The grouping name of a context dimension: the version and OS ones are the filters' own.</summary>
    public static string GroupOf(ContextDimension dimension) => dimension switch
    {
        ContextDimension.Version => "version",
        ContextDimension.Os => "os",
        _ => "context." + dimension.ToString().ToLowerInvariant(),
    };

    /// <summary>The grouping name of a declared property's values.</summary>
    public static string GroupOf(string property) => "property." + property;
}

/// <summary>The noise parameters an answer was published with (see <see cref="NoiseOptions"/>).</summary>
/// <param name="Installs">The standard deviation of each noise layer of an installs count or duration bucket.</param>
/// <param name="EventsPerHeaviest">Each layer of an events count: this many standard deviations per event one install may have added.</param>
/// <param name="Threshold">The standard deviation of the noise on k that decides whether a group is shown.</param>
internal sealed record NoiseDescription(double Installs, double EventsPerHeaviest, double Threshold);
