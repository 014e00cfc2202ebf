using System.Security.Cryptography;
using System.Text;
using Candor.Collector.Storage;

namespace Candor.Collector.Access;

/// <summary>
/// Secrets are 256 random bits, shown once and stored only as their SHA-256 hash: a hash of a random 256-bit
/// value needs no salt or slow KDF, because nothing about it can be guessed. The prefix names the role so that a
/// leaked secret is easy to recognise and revoke.
/// </summary>
internal static class Secrets
{
    private const int MaxLength = 200;

    public static string Create(CredentialRole role) =>
        Prefix(role) + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Whether a presented value can be a secret at all (refuses absurd lengths before hashing).</summary>
    public static bool IsPlausible(string? secret) => !string.IsNullOrEmpty(secret) && secret.Length <= MaxLength;

    private static string Prefix(CredentialRole role) => role switch
    {
        CredentialRole.Ingestion => "candor_ingest_",
        CredentialRole.Reader => "candor_read_",
        _ => "candor_admin_",
    };
}
