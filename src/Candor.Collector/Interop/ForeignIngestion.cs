using System.Buffers;
using System.Text.Json;
using Candor.Collector.Ingestion;
using Candor.Collector.Operations;
using Candor.Collector.Products;
using Candor.Manifest;
using Candor.Protocol;

namespace Candor.Collector.Interop;

/// <summary>Why one item of a foreign request was refused, by its position in the request.</summary>
internal sealed record ItemRefusal(int Index, string Reason, string Detail);

/// <summary>What became of a foreign request's items: how many were taken (stored, already stored, or dropped as unmapped), and which were refused.</summary>
internal sealed record ForeignOutcome(int Received, int Taken, IReadOnlyList<ItemRefusal> Refused);

/// <summary>
/// Turns the items of an OTLP or Application Insights request into one native batch through the product's mapping
/// (<see cref="WireTranslator"/>) and hands it to the <see cref="IngestionPipeline"/>, the same edge as the SDK's
/// batches. Items no rule maps, attributes no rule names, bodies and messages are dropped and counted by reason.
/// </summary>
internal sealed class ForeignIngestion(IngestionPipeline pipeline, CollectorMetrics metrics, TimeProvider time)
{
    /// <summary>The most items one foreign request may hold: an OpenTelemetry exporter sends up to 512 at a time.</summary>
    public const int MaxItems = 2048;

    public async Task<(ForeignOutcome? Outcome, RequestProblem? Problem)> IngestAsync(
        HttpContext http, CatalogProduct product, string door, Func<TelemetryManifest, DoorMapping?> select,
        IReadOnlyList<ForeignItem> items, IReadOnlyList<ItemRefusal> unread, CancellationToken cancellationToken)
    {
        var refused = new List<ItemRefusal>(unread);
        foreach (var refusal in unread)
        {
            metrics.Rejected(refusal.Reason, door);
        }

        // The newest revision that maps this door decides; events are stamped with it.
        var (manifest, mapping) = product.Revisions.Values.Reverse().Select(m => (m, select(m))).FirstOrDefault(p => p.Item2 is not null);
        // An item without a time of its own (an OTLP time of 0, an envelope without one) happened when it arrived.
        var received = time.GetUtcNow();
        var positions = new List<int>(items.Count);
        var stamped = new HashSet<int>();
        var buffer = new ArrayBufferWriter<byte>(Math.Max(1024, items.Count * 512));
        int unmapped = 0, undeclared = 0, freeText = 0;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray(WireNames.Events);
            for (var index = 0; index < items.Count; index++)
            {
                var item = items[index];
                freeText += item.FreeText;
                if (mapping?.Find(item.Type, item.Name) is not { } rule)
                {
                    unmapped++;
                    continue;
                }

                if (WireTranslator.Write(w, item, rule, manifest!, mapping.Install, received, out var dropped) is { } refusal)
                {
                    refused.Add(new ItemRefusal(item.Position, refusal.Reason, refusal.Detail));
                    metrics.Rejected(refusal.Reason, door);
                    continue;
                }

                undeclared += dropped;
                if (item.Time is null)
                {
                    stamped.Add(positions.Count);
                }

                positions.Add(item.Position);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        metrics.Dropped(door, "unmapped-item", unmapped);
        metrics.Dropped(door, "undeclared-attribute", undeclared);
        metrics.Dropped(door, "free-text", freeText);
        var taken = unmapped;
        if (positions.Count > 0)
        {
            var rented = ArrayPool<byte>.Shared.Rent(buffer.WrittenCount);
            buffer.WrittenSpan.CopyTo(rented);
            var (response, problem) = await pipeline.StoreAsync(http, product, new RequestBody(rented, buffer.WrittenCount), door, MaxItems, cancellationToken, stamped);
            if (problem is not null)
            {
                return (null, problem);
            }

            foreach (var rejection in response!.Rejected)
            {
                refused.Add(new ItemRefusal(positions[rejection.Index], rejection.Reason, rejection.Detail));
            }

            taken += response.Accepted + response.Duplicates;
        }

        refused.Sort((a, b) => a.Index.CompareTo(b.Index));
        return (new ForeignOutcome(items.Count + unread.Count, taken, refused), null);
    }
}
