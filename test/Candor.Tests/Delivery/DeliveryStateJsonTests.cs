using System.Text;
using System.Text.Json;
using Candor.Delivery;
using Candor.Tests.Support;

namespace Candor.Tests.Delivery;

public sealed class DeliveryStateJsonTests
{
    public static TheoryData<string> States() => ["fresh", "failing", "succeeded"];

    [Theory]
    [MemberData(nameof(States))]
    public void Write_IsByteForByteWhatTheSerializerWrote(string name)
    {
        var state = State(name);
        Assert.Equal(
            Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(state, SerializerDeliveryContext.Default.Options.AsCandorWrites())),
            Encoding.UTF8.GetString(DeliveryStateJson.Write(state)));
    }

    [Theory]
    [MemberData(nameof(States))]
    public void Read_WhatWriteWrote_RoundTrips(string name)
    {
        var state = State(name);
        var read = DeliveryStateJson.Read(DeliveryStateJson.Write(state));

        Assert.NotNull(read);
        Assert.Equal(state.NextAttempt, read.NextAttempt);
        Assert.Equal(state.Failures, read.Failures);
        Assert.Equal(state.LastFailure, read.LastFailure);
        Assert.Equal(state.LastSuccess, read.LastSuccess);
    }

    [Fact]
    public void Read_UnknownMembers_AreIgnored()
    {
        var read = DeliveryStateJson.Read("""{"failures": 2, "newer": {"a": [1]}, "lastFailure": null, "nextAttempt": null}"""u8);

        Assert.NotNull(read);
        Assert.Equal(2, read.Failures);
        Assert.Null(read.LastFailure);
        Assert.Null(read.NextAttempt);
    }

    [Theory]
    [InlineData("{\"failures\": 2, \"nextAtt")]
    [InlineData("{\"failures\": \"2\"}")]
    [InlineData("{\"failures\": null}")]
    [InlineData("{\"nextAttempt\": \"soon\"}")]
    [InlineData("[]")]
    [InlineData("")]
    public void Read_CorruptFile_ThrowsJsonExceptionAsTheSerializerDid(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bytes, SerializerDeliveryContext.Default.DeliveryState));

        Assert.ThrowsAny<JsonException>(() => DeliveryStateJson.Read(bytes));
    }

    private static DeliveryState State(string name) => name switch
    {
        "failing" => new DeliveryState { NextAttempt = new DateTimeOffset(2025, 5, 6, 7, 8, 9, 123, TimeSpan.Zero), Failures = 3, LastFailure = "http-503" },
        "succeeded" => new DeliveryState { LastSuccess = new DateTimeOffset(2025, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)), LastFailure = "a \"quoted\" <reason>" },
        _ => new DeliveryState(),
    };
}
