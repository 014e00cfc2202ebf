using Candor.Delivery;

namespace Candor.Tests.Delivery;

public class DeliveryEndpointTests
{
    [Theory]
    [InlineData("https://collector.example.org", "https://collector.example.org/v1/events")]
    [InlineData("https://collector.example.org/", "https://collector.example.org/v1/events")]
    [InlineData("https://example.org/candor/", "https://example.org/candor/v1/events")]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/v1/events")]
    [InlineData("http://localhost:5000", "http://localhost:5000/v1/events")]
    [InlineData("http://[::1]:5000", "http://[::1]:5000/v1/events")]
    [InlineData("https://example.org:8443/a%20b/c/", "https://example.org:8443/a%20b/c/v1/events")]
    [InlineData("https://EXAMPLE.org/Candor", "https://example.org/Candor/v1/events")]
    public void BatchUri_HttpsOrLoopback_IsTheBatchPathUnderTheEndpoint(string endpoint, string expected)
    {
        Assert.Equal(new Uri(expected), DeliveryEndpoint.BatchUri(endpoint));
    }

    [Theory]
    [InlineData("http://collector.example.org")]
    [InlineData("http://10.0.0.5:5000")]
    [InlineData("ws://localhost:5000")]
    [InlineData("/v1/events")]
    [InlineData("https://collector.example.org/?key=1")]
    [InlineData("https://collector.example.org/#top")]
    public void BatchUri_NotHttpsOrNotPlain_IsRefused(string endpoint)
    {
        Assert.Throws<ArgumentException>(() => DeliveryEndpoint.BatchUri(endpoint));
    }

    [Fact]
    public void BatchUri_WithCredentials_IsRefusedWithoutRepeatingThem()
    {
        var e = Assert.Throws<ArgumentException>(() => DeliveryEndpoint.BatchUri("https://user:s3cret@collector.example.org"));

        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Theory]
    [InlineData("https://telemetry.example.org", false)]
    [InlineData("http://127.0.0.1:5000/candor", false)]
    [InlineData("http://telemetry.example.org", true)]
    [InlineData("https://user:secret@telemetry.example.org", true)]
    [InlineData("telemetry.example.org", true)]
    public void Problem_IsWhatCheckRefuses_WithoutRepeatingCredentials(string endpoint, bool refused)
    {
        var problem = DeliveryEndpoint.Problem(endpoint);

        Assert.Equal(refused, problem is not null);
        Assert.Equal(refused, Record.Exception(() => DeliveryEndpoint.Check(endpoint)) is ArgumentException);
        Assert.DoesNotContain("secret", problem ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", problem ?? "", StringComparison.Ordinal);
    }
}
