using System.Text.Json;
using Candor.Collector.Ingestion;
using Candor.Protocol;

namespace Candor.Collector.Tests.Ingestion;

public class WireEventReaderTests
{
    [Fact]
    public void Read_EventAsTheSdkWritesIt_GivesWhatTheSerializerGives()
    {
        var sent = Some.Install();
        sent.Context.Ci = "github-actions";
        var json = JsonSerializer.SerializeToUtf8Bytes(sent, ProtocolJsonContext.Default.WireEvent);
        var expected = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.WireEvent)!;
        using var document = JsonDocument.Parse(json);

        var (read, problem) = WireEventReader.Read(document.RootElement);

        Assert.Null(problem);
        Assert.Equal(
            JsonSerializer.Serialize(expected, ProtocolJsonContext.Default.WireEvent),
            JsonSerializer.Serialize(read!, ProtocolJsonContext.Default.WireEvent));
    }

    [Fact]
    public void Read_UnknownMembersAndNulls_AreIgnoredOrLeftUnset()
    {
        using var document = JsonDocument.Parse("""{"name": "install", "extra": [1, 2], "machine": null, "properties": null, "context": {"os": "linux", "future": true}}""");

        var (read, problem) = WireEventReader.Read(document.RootElement);

        Assert.Null(problem);
        Assert.Equal("install", read!.Name);
        Assert.Null(read.Verifier);
        Assert.Null(read.Properties);
        Assert.Equal("linux", read.Context.Os);
        Assert.Null(read.Product);
    }

    [Theory]
    [InlineData("""{"id": 42}""", "$.id")]
    [InlineData("""{"id": "not-a-guid"}""", "$.id")]
    [InlineData("""{"time": "yesterday"}""", "$.time")]
    [InlineData("""{"revision": "1"}""", "$.revision")]
    [InlineData("""{"name": ["install"]}""", "$.name")]
    [InlineData("""{"context": {"os": 1}}""", "$.context.os")]
    [InlineData("""{"context": {"container": "yes"}}""", "$.context.container")]
    [InlineData("""{"context": []}""", "$.context")]
    [InlineData("""{"properties": []}""", "$.properties")]
    [InlineData("""{"measurements": {"buildTime": "5"}}""", "$.measurements.buildTime")]
    public void Read_MemberOfTheWrongKind_NamesIt(string json, string path)
    {
        using var document = JsonDocument.Parse(json);

        var (read, problem) = WireEventReader.Read(document.RootElement);

        Assert.Null(read);
        Assert.Equal(path, problem);
    }
}
