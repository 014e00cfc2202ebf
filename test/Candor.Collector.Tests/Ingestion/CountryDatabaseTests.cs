using System.Net;
using Candor.Collector.Ingestion;

namespace Candor.Collector.Tests.Ingestion;

public class CountryDatabaseTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    [Fact]
    public void Load_MixedFamiliesCommentsAndHeader_FindsEachRange()
    {
        File.WriteAllLines(_file,
        [
            "start_ip,end_ip,country",
            "# test ranges",
            "",
            "203.0.113.0,203.0.113.255,nz",
            "198.51.100.0,198.51.100.255,AU",
            "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,DE",
        ]);

        var db = CountryDatabase.Load(_file);

        Assert.Equal(3, db.Count);
        Assert.Equal("NZ", db.Find(IPAddress.Parse("203.0.113.0")));
        Assert.Equal("AU", db.Find(IPAddress.Parse("198.51.100.255")));
        Assert.Equal("DE", db.Find(IPAddress.Parse("2001:db8:1234::")));
        Assert.Equal("", db.Find(IPAddress.Parse("192.0.2.1")));
        Assert.Equal("", db.Find(IPAddress.Parse("2001:db9::")));
    }

    [Theory]
    [InlineData("203.0.113.0,203.0.113.255")]
    [InlineData("203.0.113.0,2001:db8::,NZ")]
    [InlineData("203.0.113.9,203.0.113.0,NZ")]
    [InlineData("203.0.113.0,203.0.113.255,New Zealand")]
    public void Load_BadLine_NamesTheLine(string line)
    {
        File.WriteAllLines(_file, ["# ok", line]);

        var ex = Assert.Throws<FormatException>(() => CountryDatabase.Load(_file));

        Assert.Contains("line 2", ex.Message);
    }

    public void Dispose() => File.Delete(_file);
}
