using System.Net.NetworkInformation;
using System.Security.Cryptography;

namespace Candor.Identity;

/// <summary>
/// The optional machine hash: an HMAC-SHA256 of the primary MAC address under the product's key
/// (<see cref="ProductKey"/>), so one machine gets a stable value per product that no other product can
/// match. The raw MAC address never leaves this class.
/// </summary>
internal static class MachineHash
{
    // Separates the machine hash from property hashes under the same key: a property whose value happened to
    // be the MAC's bytes must not hash to the machine hash.
    private static ReadOnlySpan<byte> Domain => "candor/machine\0"u8;

    private static readonly Lazy<byte[]?> PrimaryMac = new(() => SelectPrimary(ReadInterfaces()));

    /// <summary>The hash of <paramref name="macAddress"/> under <paramref name="productKey"/>: 32 lower-case hex characters (16 bytes).</summary>
    public static string Compute(ReadOnlySpan<byte> productKey, ReadOnlySpan<byte> macAddress)
    {
        Span<byte> message = stackalloc byte[Domain.Length + macAddress.Length];
        Domain.CopyTo(message);
        macAddress.CopyTo(message[Domain.Length..]);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(productKey, message, mac);
        return Convert.ToHexString(mac[..16]).ToLowerInvariant();
    }

    /// <summary>
    /// The machine hash for a product on this machine, or null when the machine has no usable network
    /// interface (a sandbox, a platform without the API). The interfaces are read once per process.
    /// </summary>
    public static string? ForThisMachine(ReadOnlySpan<byte> productKey) =>
        PrimaryMac.Value is { } address ? Compute(productKey, address) : null;

    /// <summary>
    /// The primary MAC address: among interfaces that are up, not loopback or tunnel, with a physical address
    /// that is not empty or all zeros, the one whose name sorts first (ordinal), so the choice is the same
    /// on every run whatever order the OS lists them in.
    /// </summary>
    public static byte[]? SelectPrimary(IEnumerable<InterfaceInfo> interfaces) =>
        interfaces
            .Where(i => i.IsUp && !i.IsLoopback && i.Address.Length > 0 && i.Address.Any(b => b != 0))
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .Select(i => i.Address)
            .FirstOrDefault();

    private static List<InterfaceInfo> ReadInterfaces()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Select(n => new InterfaceInfo(
                    n.Name,
                    n.OperationalStatus == OperationalStatus.Up,
                    n.NetworkInterfaceType is NetworkInterfaceType.Loopback or NetworkInterfaceType.Tunnel,
                    n.GetPhysicalAddress().GetAddressBytes()))
                .ToList();
        }
        catch (Exception ex) when (ex is NetworkInformationException or PlatformNotSupportedException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>What <see cref="SelectPrimary"/> needs to know about one network interface.</summary>
    internal readonly record struct InterfaceInfo(string Name, bool IsUp, bool IsLoopback, byte[] Address);
}
