using System.Security.Cryptography;
using System.Text;

namespace Candor.Identity;

/// <summary>
/// The one place a product's hashing key comes from. Every keyed hash the SDK sends (hash and name-or-hash
/// properties, the machine hash) is an HMAC-SHA256 under this key, so the same value hashed by two products
/// gives two unrelated results and their data cannot be joined.
/// </summary>
internal static class ProductKey
{
    // Versioned so a future change of derivation cannot silently produce hashes that look comparable.
    private const string Label = "candor/product-key/v1";

    /// <summary>
    /// Derives the HMAC key of <paramref name="product"/>: SHA-256 of a fixed label, the product ID and the
    /// optional build secret, separated by NUL. A secret known only to the product's official builds makes the
    /// hashes unguessable to anyone without the build; without one, keys still differ per product.
    /// </summary>
    /// <returns>32 key bytes. A null and an empty <paramref name="secret"/> give the same key.</returns>
    public static byte[] Derive(string product, string? secret)
    {
        ArgumentNullException.ThrowIfNull(product);
        var input = Encoding.UTF8.GetBytes($"{Label}\0{product}\0{secret}");
        return SHA256.HashData(input);
    }
}
