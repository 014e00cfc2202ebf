using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Candor.Privacy;

/// <summary>
/// The keyed hash every hash kind uses: HMAC-SHA256 with the product's key, the first 16 bytes as 32
/// lower-case hex characters. Keying per product means two products' hashes of the same value differ,
/// so their data cannot be joined, and a dictionary of common values does not reverse them.
/// </summary>
internal static class KeyedHash
{
    public const int Length = 32;

    public static string Compute(ReadOnlySpan<byte> key, string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var written = Encoding.UTF8.GetBytes(value, buffer);
            return Compute(key, buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    public static string Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Span<byte> digest = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, value, digest);
        return ToHex(digest[..(Length / 2)]);
    }

    private static string ToHex(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = Digit(bytes[i] >> 4);
            chars[(2 * i) + 1] = Digit(bytes[i] & 0xF);
        }

        return new string(chars);
    }

    private static char Digit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
}
