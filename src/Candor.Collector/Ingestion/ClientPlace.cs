using System.Net;
using System.Net.Sockets;

namespace Candor.Collector.Ingestion;

/// <summary>
/// The only code that sees a client's address. It truncates the address (IPv4 to /24, IPv6 to /48), looks the
/// truncated address up in the country database and returns the country alone; neither address leaves this type.
/// </summary>
internal sealed class ClientPlace(CountryDatabase countries)
{
    public string CountryOf(IPAddress? address) =>
        address is null || countries.Count == 0 ? "" : countries.Find(Truncate(address));

    public static IPAddress Truncate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var keep = address.AddressFamily == AddressFamily.InterNetwork ? 3 : 6;
        Array.Clear(bytes, keep, bytes.Length - keep);
        return new IPAddress(bytes);
    }
}
