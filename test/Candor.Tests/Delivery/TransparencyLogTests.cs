using System.Text;
using System.Text.Json;
using Candor.Delivery;

namespace Candor.Tests.Delivery;

public class TransparencyLogTests
{
    [Fact]
    public void Read_AfterAppends_ListsEveryEventNewestLastWithItsAcknowledgementTime()
    {
        using var rig = new DeliveryRig();
        var log = Log(rig);
        var first = Events(rig, 2);
        var firstAt = rig.Time.GetUtcNow();
        log.Append(first, firstAt);
        rig.Time.Advance(TimeSpan.FromMinutes(5));
        var second = Events(rig, 1);
        log.Append(second, rig.Time.GetUtcNow());

        var sent = log.Read();

        Assert.Equal(first.Concat(second).Select(e => e.Id), sent.Select(e => e.Id));
        Assert.Equal([firstAt, firstAt, rig.Time.GetUtcNow()], sent.Select(e => e.Acknowledged));
        Assert.Equal(Encoding.UTF8.GetString(first[0].Json), sent[0].Json);
    }

    [Fact]
    public void Append_PastTheSizeCap_TrimsTheOldestEntries()
    {
        using var rig = new DeliveryRig(options: new DeliveryOptions { MaxSentLogBytes = 64 * 1024 });
        var log = Log(rig);
        var all = new List<SpooledEvent>();
        for (var i = 0; i < 40; i++)
        {
            var chunk = Events(rig, 10);
            all.AddRange(chunk);
            log.Append(chunk, rig.Time.GetUtcNow());
            Assert.True(new FileInfo(rig.Home.SentLog("sample")).Length <= rig.Options.MaxSentLogBytes);
        }

        var kept = log.Read().Select(e => e.Id).ToArray();

        Assert.InRange(kept.Length, 10, all.Count - 1);
        Assert.Equal(all.TakeLast(kept.Length).Select(e => e.Id), kept);
    }

    [Fact]
    public void Read_LineTornByACrash_SkipsOnlyThatLine()
    {
        using var rig = new DeliveryRig();
        var log = Log(rig);
        var before = Events(rig, 1);
        log.Append(before, rig.Time.GetUtcNow());
        File.AppendAllText(rig.Home.SentLog("sample"), "{\"acknowledged\":\"2025-01-01T00:00:00+00:00\",\"event\":{\"id\":\"");
        var after = Events(rig, 1);
        log.Append(after, rig.Time.GetUtcNow());

        Assert.Equal([before[0].Id, after[0].Id], log.Read().Select(e => e.Id));
    }

    [Fact]
    public void Append_SeveralTimes_WritesOneJsonObjectPerLineAndNoEmptyLine()
    {
        using var rig = new DeliveryRig();
        var log = Log(rig);

        log.Append(Events(rig, 2), rig.Time.GetUtcNow());
        log.Append(Events(rig, 1), rig.Time.GetUtcNow());

        var text = File.ReadAllText(rig.Home.SentLog("sample"));
        var lines = text.Split('\n');
        Assert.Equal("", lines[^1]);
        Assert.Equal(3, lines.Length - 1);
        Assert.All(lines[..^1], l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));
    }

    [Fact]
    public void Append_AfterALineTornByACrash_StartsOnALineOfItsOwn()
    {
        using var rig = new DeliveryRig();
        var log = Log(rig);
        Directory.CreateDirectory(Path.GetDirectoryName(rig.Home.SentLog("sample"))!);
        File.AppendAllText(rig.Home.SentLog("sample"), "{\"acknowledged\":\"2025-01-01T00:");
        var after = Events(rig, 1);

        log.Append(after, rig.Time.GetUtcNow());

        var lines = File.ReadAllLines(rig.Home.SentLog("sample"));
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"acknowledged\":\"2025-01-01T00:", lines[0]);
        Assert.Equal(after[0].Id, Assert.Single(log.Read()).Id);
    }

    [Fact]
    public void Append_EventWrittenOverSeveralLines_IsKeptOnOneLine()
    {
        using var rig = new DeliveryRig();
        var log = Log(rig);
        var id = Guid.NewGuid();
        var indented = Encoding.UTF8.GetBytes($$"""
            {
              "id": "{{id}}",
              "name": "install"
            }
            """);

        log.Append([new SpooledEvent("x", id, rig.Time.GetUtcNow(), indented)], rig.Time.GetUtcNow());

        var sent = Assert.Single(log.Read());
        Assert.Equal($$"""{"id":"{{id}}","name":"install"}""", sent.Json);
        Assert.All(File.ReadAllLines(rig.Home.SentLog("sample")).Where(l => l.Length > 0), l => JsonDocument.Parse(l).Dispose());
    }

    [Fact]
    public void Read_NoLog_IsEmpty()
    {
        using var rig = new DeliveryRig();

        Assert.Empty(new TransparencyLog(rig.Home, "sample", rig.Files, rig.Options).Read());
    }

    // The log goes into the product's folder, which a recording run made; the log itself never creates it.
    private static TransparencyLog Log(DeliveryRig rig)
    {
        Directory.CreateDirectory(rig.Home.ProductDirectory("sample"));
        return new TransparencyLog(rig.Home, "sample", rig.Files, rig.Options);
    }

    private static SpooledEvent[] Events(DeliveryRig rig, int count) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var id = Guid.NewGuid();
            return new SpooledEvent("unused", id, rig.Time.GetUtcNow(), DeliveryRig.WireJson(id, "sample", rig.Time.GetUtcNow()));
        }).ToArray();
}
