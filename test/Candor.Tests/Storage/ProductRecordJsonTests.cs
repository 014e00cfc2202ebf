using System.Text;
using System.Text.Json;
using Candor.Storage;
using Candor.Tests.Support;

namespace Candor.Tests.Storage;

public sealed class ProductRecordJsonTests
{
    private static ProductRecordDocument Record(string? endpoint) => new()
    {
        Product = "sample",
        ProductVersion = "1.4.2",
        Endpoint = endpoint,
        IngestionKey = endpoint is null ? null : "key-123",
        Manifest = JsonDocument.Parse(Some.ManifestJson, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }).RootElement,
    };

    [Theory]
    [InlineData("https://collector.example/")]
    [InlineData(null)]
    public void Write_IsByteForByteWhatTheSerializerWrote(string? endpoint)
    {
        var record = Record(endpoint);

        Assert.Equal(
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(record, SerializerProductRecordContext.Default.ProductRecordDocument)),
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
        Assert.True(JsonElement.DeepEquals(record.Manifest, read.Manifest));
    }

    [Fact]
    public void Read_UnknownMembers_AreIgnored_AndAMissingManifestIsUndefined()
    {
        var read = ProductRecordJson.Read("""{"version": 2, "product": "sample", "signature": {"alg": "x"}, "mirrors": ["a"]}"""u8);

        Assert.NotNull(read);
        Assert.Equal(2, read.Version);
        Assert.Equal("sample", read.Product);
        Assert.Equal(JsonValueKind.Undefined, read.Manifest.ValueKind);
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
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bytes, SerializerProductRecordContext.Default.ProductRecordDocument));

        Assert.ThrowsAny<JsonException>(() => ProductRecordJson.Read(bytes));
    }
}
