using System.Text;
using System.Text.Json;
using Candor.Consent;
using Candor.Tests.Support;

namespace Candor.Tests.Consent;

public sealed class SettingsJsonTests
{
    private static readonly DateTimeOffset Seen = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    [Fact]
    public void Write_IsByteForByteWhatTheSerializerWrote()
    {
        var unknown = JsonDocument.Parse("""{"future": [1, {"a": "<b>"}], "note": "é"}""").RootElement;
        var document = new SettingsDocument
        {
            Level = "local",
            Products =
            {
                ["kmpkg"] = new ProductSettings { Level = "off", Seen = Seen },
                ["sample"] = new ProductSettings { Seen = Seen, Unknown = new() { ["since"] = unknown.GetProperty("note") } },
                ["empty"] = new ProductSettings(),
            },
            Unknown = new() { ["future"] = unknown.GetProperty("future") },
        };
        var expected = new SerializerSettingsDocument
        {
            Level = "local",
            Products =
            {
                ["kmpkg"] = new SerializerProductSettings { Level = "off", Seen = Seen },
                ["sample"] = new SerializerProductSettings { Seen = Seen, Unknown = new() { ["since"] = unknown.GetProperty("note") } },
                ["empty"] = new SerializerProductSettings(),
            },
            Unknown = new() { ["future"] = unknown.GetProperty("future") },
        };

        Assert.Equal(
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(expected, SerializerSettingsContext.Default.Options.AsCandorWrites())),
            Encoding.UTF8.GetString(SettingsJson.Write(document)));
    }

    [Fact]
    public void Write_NoChoices_IsByteForByteWhatTheSerializerWrote()
    {
        Assert.Equal(
            JsonSerializer.SerializeToUtf8Bytes(new SerializerSettingsDocument(), SerializerSettingsContext.Default.Options.AsCandorWrites()),
            SettingsJson.Write(new SettingsDocument()));
    }

    [Fact]
    public void Read_WhatWriteWrote_RoundTripsIncludingUnknownMembers()
    {
        var document = new SettingsDocument
        {
            Level = "all",
            Products = { ["kmpkg"] = new ProductSettings { Level = "error", Seen = Seen, Unknown = new() { ["x"] = JsonDocument.Parse("[true]").RootElement } } },
            Unknown = new() { ["policyHint"] = JsonDocument.Parse("\"managed\"").RootElement },
        };

        var read = SettingsJson.Read(SettingsJson.Write(document));

        Assert.NotNull(read);
        Assert.Equal(SettingsDocument.CurrentVersion, read.Version);
        Assert.Equal("all", read.Level);
        var product = Assert.Single(read.Products);
        Assert.Equal("kmpkg", product.Key);
        Assert.Equal("error", product.Value.Level);
        Assert.Equal(Seen, product.Value.Seen);
        Assert.True(JsonElement.DeepEquals(document.Products["kmpkg"].Unknown!["x"], product.Value.Unknown!["x"]));
        Assert.Equal("managed", read.Unknown!["policyHint"].GetString());
        Assert.Equal(SettingsJson.Write(document), SettingsJson.Write(read));
    }

    [Fact]
    public void Read_HandEditedFileWithCommentsTrailingCommasAndEscapes_IsRead()
    {
        var json = """
            // my choices
            {
              "level": "off", /* everything */
              "products": { "km\u0070kg": { "level": "local", }, "gone": null, },
            }
            """;

        var read = SettingsJson.Read(Encoding.UTF8.GetBytes(json));

        Assert.NotNull(read);
        Assert.Equal("off", read.Level);
        Assert.Equal("local", Assert.Single(read.Products, p => p.Key == "kmpkg").Value.Level);
        Assert.DoesNotContain("gone", read.Products.Keys);
        Assert.Null(read.Unknown);
    }

    [Fact]
    public void Read_JsonNull_IsNoDocument_AndNullProductsIsEmpty()
    {
        Assert.Null(SettingsJson.Read("null"u8));
        Assert.Empty(SettingsJson.Read("""{"products": null}"""u8)!.Products);
    }

    [Theory]
    [InlineData("{\"level\": \"off\", \"products\": {")]
    [InlineData("")]
    [InlineData("[1, 2]")]
    [InlineData("{\"products\": 42}")]
    [InlineData("{\"products\": {\"kmpkg\": \"off\"}}")]
    [InlineData("{\"level\": 3}")]
    [InlineData("{\"version\": \"1\"}")]
    [InlineData("{\"version\": 1.5}")]
    [InlineData("{\"products\": {\"kmpkg\": {\"seen\": \"yesterday\"}}}")]
    [InlineData("{} {}")]
    public void Read_CorruptFile_ThrowsJsonExceptionAsTheSerializerDid(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bytes, SerializerSettingsContext.Default.SerializerSettingsDocument));

        Assert.ThrowsAny<JsonException>(() => SettingsJson.Read(bytes));
    }

    [Theory]
    [InlineData("""{"telemetry": "off"}""", "off")]
    [InlineData("""{"other": {"telemetry": "on"}, /* managed */ "telemetry": "local",}""", "local")]
    [InlineData("""{"telemetry": null}""", null)]
    [InlineData("{}", null)]
    [InlineData("null", null)]
    public void ReadPolicyTelemetry_ReadsTheOneSetting(string json, string? expected)
    {
        Assert.Equal(expected, SettingsJson.ReadPolicyTelemetry(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("""{"telemetry": false}""")]
    [InlineData("""{"telemetry": "off""")]
    [InlineData("[]")]
    public void ReadPolicyTelemetry_CorruptFile_Throws(string json)
    {
        Assert.ThrowsAny<JsonException>(() => SettingsJson.ReadPolicyTelemetry(Encoding.UTF8.GetBytes(json)));
    }
}
