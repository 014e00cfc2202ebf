using System.Security.Cryptography;
using System.Text;
using Candor.Protocol;

namespace Candor.Identity;

/// <summary>
/// The per-install secret and what is derived from it. The secret is 32 random bytes kept only in the product's
/// <c>identity.json</c> on this machine; it is never sent. From it come, each under its own versioned label:
/// <list type="bullet">
/// <item>the hash key: every keyed hash the product sends is an HMAC-SHA256 under it, so a hash is stable within
/// one install, differs between installs and products, and cannot be reversed by anyone without the secret, however
/// few values the input can take (a file name from a dictionary, a MAC address of one vendor);</item>
/// <item>the deletion proof: the collector is sent only its SHA-256 (the verifier) with each upload, and deletes the
/// install's data only for a request that carries the proof itself.</item>
/// </list>
/// </summary>
internal static class InstallSecret
{
    /// <summary>Bytes of randomness in a secret.</summary>
    public const int Bytes = 32;

    /// <summary>Hex characters of a secret, a deletion proof and a verifier.</summary>
    public const int HexLength = PropertyGrammar.VerifierLength;

    // Versioned so that a change of derivation can never produce values that look comparable with the old ones.
    private const string HashKeyLabel = "candor/hash-key/v1";
    private const string DeletionLabel = "candor/deletion/v1";

    /// <summary>A new random secret: 64 lower-case hex characters.</summary>
    public static string Create() => Hex(RandomNumberGenerator.GetBytes(Bytes));

    /// <summary>
    /// Whether <paramref name="value"/> has the form of a secret, proof or verifier: 64 lower-case hex characters, the
    /// form the collector checks a verifier and a proof against (<see cref="PropertyGrammar.IsVerifier"/>).
    /// </summary>
    public static bool IsWellFormed(string? value) => PropertyGrammar.IsVerifier(value);

    /// <summary>The HMAC key of the product's keyed hashes in this install: HMAC-SHA256(secret, label NUL product).</summary>
    public static byte[] HashKey(string secret, string product) =>
        HMACSHA256.HashData(Convert.FromHexString(secret), Encoding.UTF8.GetBytes($"{HashKeyLabel}\0{product}"));

    /// <summary>
    /// The proof that a deletion request comes from this install: HMAC-SHA256(secret, label NUL product NUL install),
    /// as 64 lower-case hex characters. Only a request to delete the install's data carries it.
    /// </summary>
    public static string DeletionProof(string secret, string product, Guid install) =>
        Hex(HMACSHA256.HashData(Convert.FromHexString(secret), Encoding.UTF8.GetBytes($"{DeletionLabel}\0{product}\0{install:D}")));

    /// <summary>
    /// The verifier of a deletion proof: SHA-256 of its 32 bytes, as 64 lower-case hex characters. Uploads carry it so
    /// the collector can check a later deletion request without ever holding what proves it.
    /// </summary>
    public static string Verifier(string deletionProof) => Hex(SHA256.HashData(Convert.FromHexString(deletionProof)));

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
