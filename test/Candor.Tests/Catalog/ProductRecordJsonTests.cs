using System.Text;
using System.Text.Json;
using Candor.Catalog;
using Candor.Tests.Support;

namespace Candor.Tests.Catalog;

public sealed class ProductRecordJsonTests
{
    private static ProductRecordDocument Record(string? endpoint) => new()
    {
        Product = "sample",
        ProductVersion = "1.4.2",
        Endpoint = endpoint,
        IngestionKey = endpoint is null ? null : "key-123",
        Manifest = Encoding.UTF8.GetBytes(Some.ManifestJson),
    };

    private static SerializerProductRecord AsSerializerWroteIt(ProductRecordDocument record) => new()
    {
        Product = record.Product,
        ProductVersion = record.ProductVersion,
        Endpoint = record.Endpoint,
        IngestionKey = record.IngestionKey,
        Manifest = JsonDocument.Parse(record.Manifest, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement,
    };

    [Theory]
    [InlineData("https://collector.example/")]
    [InlineData(null)]
    public void Write_IsByteForByteWhatTheSerializerWrote(string? endpoint)
    {
        var record = Record(endpoint);

        Assert.Equal(
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(AsSerializerWroteIt(record), SerializerProductRecordContext.Default.Options.AsCandorWrites())),
            Encoding.UTF8.GetString(ProductRecordJson.Write(record)));
    }

    [Fact]
    public void Read_WhatWriteWrote_RoundTrips()
    {
        var record = Record("https://collector.example/");

        var read = ProductRecordJson.Read(ProductRecordJson.Write(record));

        Assert.NotNull(read);
        Assert.Equal(1, read.Version);
        Assert.Equal("sample", read.Product);
        Assert.Equal("1.4.2", read.ProductVersion);
        Assert.Equal("https://collector.example/", read.Endpoint);
        Assert.Equal("key-123", read.IngestionKey);
        using var written = JsonDocument.Parse(record.Manifest);
        using var readBack = JsonDocument.Parse(read.Manifest);
        Assert.True(JsonElement.DeepEquals(written.RootElement, readBack.RootElement));
    }

    [Fact]
    public void Read_UnknownMembers_AreIgnored_AndAMissingManifestIsUndefined()
    {
        var read = ProductRecordJson.Read("""{"version": 2, "product": "sample", "signature": {"alg": "x"}, "mirrors": ["a"]}"""u8);

        Assert.NotNull(read);
        Assert.Equal(2, read.Version);
        Assert.Equal("sample", read.Product);
        Assert.True(read.Manifest.IsEmpty);
    }

    [Theory]
    [InlineData("{\"product\": \"sample\", \"manifest\": {")]
    [InlineData("{\"product\": 7}")]
    [InlineData("{\"version\": \"1\"}")]
    [InlineData("\"sample\"")]
    [InlineData("{}]")]
    public void Read_CorruptFile_ThrowsJsonExceptionAsTheSerializerDid(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bytes, SerializerProductRecordContext.Default.SerializerProductRecord));

        Assert.ThrowsAny<JsonException>(() => ProductRecordJson.Read(bytes));
    }

    [Fact]
    public void Write_ManifestWithCommentsEscapesAndNumbers_IsWhatTheDocumentWouldHaveWritten()
    {
        var manifest = """
            {
              // comment
              "product": "caf\u00e9-tool", "name": "Café \"tool\"",
              "events": [ { "name": "run", "measurements": [ { "name": "t", "kind": "number", "boundaries": [1, 2.50, -3, 1000.125] } ] }, ],
              "machineHash": false, "contact": null
            }
            """;
        var record = new ProductRecordDocument { Product = "cafe", Manifest = Encoding.UTF8.GetBytes(manifest) };

        Assert.Equal(
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(AsSerializerWroteIt(record), SerializerProductRecordContext.Default.Options.AsCandorWrites())),
            Encoding.UTF8.GetString(ProductRecordJson.Write(record)));
    }

    [Fact]
    public void Write_NumberInExponentForm_KeepsItsValue()
    {
        var record = new ProductRecordDocument { Product = "sample", Manifest = """{"boundaries": [1e3, 2.5E-1]}"""u8.ToArray() };

        var read = ProductRecordJson.Read(ProductRecordJson.Write(record));

        using var manifest = JsonDocument.Parse(read!.Manifest);
        Assert.Equal([1000.0, 0.25], manifest.RootElement.GetProperty("boundaries").EnumerateArray().Select(e => e.GetDouble()));
    }
}
