using System.Net;
using Candor.Collector.Ingestion;

namespace Candor.Collector.Tests.Ingestion;

public class ClientPlaceTests
{
    [Theory]
    [InlineData("198.51.100.23", "198.51.100.0")]
    [InlineData("::ffff:198.51.100.23", "198.51.100.0")]
    [InlineData("2001:db8:1234:5678:9abc::1", "2001:db8:1234::")]
    public void Truncate_KeepsOnlyTheNetwork(string address, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), ClientPlace.Truncate(IPAddress.Parse(address)));
    }

    [Fact]
    public void CountryOf_WithoutDatabase_IsEmpty()
    {
        Assert.Equal("", new ClientPlace(CountryDatabase.Empty).CountryOf(IPAddress.Parse("198.51.100.23")));
    }
}
