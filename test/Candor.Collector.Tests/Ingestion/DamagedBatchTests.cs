using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Candor.Collector.Ingestion;
using Candor.Protocol;
using CsCheck;

namespace Candor.Collector.Tests.Ingestion;

/// <summary>
/// Valid batches with a few bytes changed, as a disk or a careless tool may change a spooled event: whatever the
/// damage, the collector answers without a 5xx, and when it reads the batch it accounts for every item, stores
/// each one it does not reject, and names in a rejection only the ID the SDK itself reads from that item.
/// </summary>
public class DamagedBatchTests
{
    private enum Damage
    {
        /// <summary>The byte is replaced by any other.</summary>
        Replace,

        /// <summary>One bit of the byte flips.</summary>
        FlipBit,

        /// <summary>A byte is inserted.</summary>
        Insert,

        /// <summary>An escape of a surrogate (high or low, unpaired where it lands) is inserted.</summary>
        InsertSurrogateEscape,
    }

    [Fact]
    public async Task Batch_WithRandomBytesDamaged_IsNeverA5xx_AndEveryItemIsStoredOrRejectedByIndex()
    {
        await using var collector = await TestCollector.StartAsync(new Dictionary<string, string?> { ["Ingestion:PermitsPerAddress"] = "100000" });
        var key = await collector.RegisterAsync();
        var damage = Gen.Select(Gen.Enum<Damage>(), Gen.Int[0, int.MaxValue], Gen.Byte);
        var gen = Gen.Select(Gen.Int[0, 2].Array[1, 5], damage.Array[1, 4], Gen.Bool);
        var (read, refused) = (0, 0);

        await gen.SampleAsync(async (kinds, damages, gzip) =>
        {
            var events = kinds.Select(kind => kind switch { 0 => Some.Install(), 1 => Some.Failed(), _ => Some.Crash("System.IO.IOException at Sample.Cli.Run") });
            var body = Apply(JsonSerializer.SerializeToUtf8Bytes(new WireBatch { Events = [.. events] }, ProtocolJsonContext.Default.WireBatch), damages);

            var response = await collector.PostRawAsync(key, body, gzip);

            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)response.StatusCode} for {Encoding.Latin1.GetString(body)}");
            if (response.StatusCode is HttpStatusCode.BadRequest)
            {
                // Only a body that is not a JSON batch at all is refused whole.
                Assert.Equal(RejectionReasons.Malformed, (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.ProblemResponse))!.Reason);
                Assert.ThrowsAny<JsonException>(() => ItemsOf(body));
                refused++;
                return;
            }

            read++;
            var answer = (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.BatchResponse))!;
            var items = ItemsOf(body);
            Assert.Equal(items.Count, answer.Accepted + answer.Duplicates + answer.Rejected.Count);
            Assert.Equal(answer.Rejected.Count, answer.Rejected.Select(r => r.Index).Distinct().Count());
            foreach (var rejection in answer.Rejected)
            {
                Assert.InRange(rejection.Index, 0, items.Count - 1);
                Assert.False(string.IsNullOrWhiteSpace(rejection.Detail));
                if (rejection.Id is { } id && IdAsTheSdkReadsIt(items[rejection.Index]) is var (sendable, sdkId) && sendable)
                {
                    Assert.Equal(sdkId, id);
                }
            }

            // Each item not rejected was stored: sent again on its own, it is a duplicate.
            var kept = Enumerable.Range(0, items.Count).Where(i => answer.Rejected.All(r => r.Index != i)).Select(i => items[i]).ToArray();
            if (kept.Length > 0)
            {
                Assert.All(kept, item => Assert.Equal((true, true), (IdAsTheSdkReadsIt(item).Sendable, IdAsTheSdkReadsIt(item).Id is not null)));
                var again = await TestCollector.ReadBatchAsync(await collector.PostRawAsync(key, InvalidTextTests.Batch(kept), gzip));
                Assert.Equal((0, kept.Length, 0), (again.Accepted, again.Duplicates, again.Rejected.Count));
            }
        }, iter: 300, threads: 1);

        // Both kinds of answer were exercised, not only one.
        Assert.True(read > 50 && refused > 10, $"read {read}, refused {refused}");
        InvalidTextTests.AssertNoErrorLogged(collector);
    }

    private static byte[] Apply(byte[] body, (Damage Kind, int Position, byte Value)[] damages)
    {
        var bytes = new List<byte>(body);
        foreach (var (kind, position, value) in damages)
        {
            var at = position % bytes.Count;
            switch (kind)
            {
                case Damage.Replace: bytes[at] = value; break;
                case Damage.FlipBit: bytes[at] ^= (byte)(1 << (value % 8)); break;
                case Damage.Insert: bytes.Insert(at, value); break;
                case Damage.InsertSurrogateEscape: bytes.InsertRange(at, Encoding.ASCII.GetBytes($"\\u{0xD800 + (value << 3):X4}")); break;
            }
        }

        return [.. bytes];
    }

    // The items' bytes as the collector sees them; throws JsonException when the body is not a JSON batch.
    private static List<byte[]> ItemsOf(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind is not JsonValueKind.Object
            || !JsonText.TryGetMember(document.RootElement, "events"u8, out var events) || events.ValueKind is not JsonValueKind.Array)
        {
            throw new JsonException("not a batch");
        }

        return [.. events.EnumerateArray().Select(item => JsonMarshal.GetRawUtf8Value(item).ToArray())];
    }

    // As the SDK's spool reads an event's ID (Spool.TryReadId): the string member 'id' of the object, as a GUID.
    // Its reader throws on some names that are not valid text; such an event is never sent, so nothing is said of it.
    private static (bool Sendable, Guid? Id) IdAsTheSdkReadsIt(byte[] item)
    {
        using var document = JsonDocument.Parse(item);
        try
        {
            return (true, document.RootElement.ValueKind is JsonValueKind.Object
                && document.RootElement.TryGetProperty("id", out var value)
                && value.ValueKind is JsonValueKind.String
                && value.TryGetGuid(out var id) ? id : null);
        }
        catch (InvalidOperationException)
        {
            return (false, null);
        }
    }
}
