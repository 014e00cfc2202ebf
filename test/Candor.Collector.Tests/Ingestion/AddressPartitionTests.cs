using System.Net;
using Candor.Collector.Ingestion;

namespace Candor.Collector.Tests.Ingestion;

public class AddressPartitionTests
{
    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("203.0.113.7", "203.0.113.8", false)]
    [InlineData("203.0.113.7", "::ffff:203.0.113.7", true)]
    public void Of_KeysIPv6ByItsSlash64AndIPv4ByTheAddress(string a, string b, bool same)
    {
        Assert.Equal(same, AddressPartition.Of(IPAddress.Parse(a)) == AddressPartition.Of(IPAddress.Parse(b)));
    }

    [Fact]
    public void Of_NamesThePrefixNotTheHost()
    {
        Assert.Equal("2001:db8:1:2::/64", AddressPartition.Of(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));
        Assert.Equal("", AddressPartition.Of(null));
    }
}
