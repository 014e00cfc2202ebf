using System.Net;
using System.Net.Sockets;

namespace Candor.Collector.Ingestion;

/// <summary>
/// The key under which rate limits, sign-in back-off and refusal audits count a client: an IPv4 address as it is,
/// an IPv6 address by its /64 prefix. One IPv6 host usually holds a whole /64 and may pick any address in it, so
/// keying by the full address would give it 2^64 separate limits. The key is held in memory only, never stored
/// or logged.
/// </summary>
internal static class AddressPartition
{
    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return "";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
