using System.Runtime.CompilerServices;
using System.Text.Json;
using Candor.Json;

namespace Candor.Identity;

/// <summary>
/// Reads and writes <c>identity.json</c>, which every run with telemetry on reads, with the JSON reader and
/// writer directly (see <see cref="JsonValues"/> for why not the serializer):
/// <c>{"install": "…", "firstUse": "…", "disclosureVersion": 1, "secret": "…", "retired": [{"install": "…", "deletionProof": "…"}]}</c>,
/// indented; <c>retired</c> only when a reset left an install behind. Unknown members are ignored; a missing one reads
/// as its default, which <see cref="IdentityStore"/> rejects for the install ID (a missing secret it adds).
/// </summary>
internal static class IdentityJson
{
    /// <summary>The identity in <paramref name="json"/>, or null when the file holds JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The file is not valid JSON or a member has the wrong type.</exception>
    public static InstallIdentity? Read(ReadOnlySpan<byte> json)
    {
        var reader = new JsonScanner(json);
        if (!JsonFields.StartRoot(ref reader))
        {
            return null;
        }

        var install = Guid.Empty;
        var firstUse = default(DateTimeOffset);
        var disclosureVersion = 0;
        string? secret = null;
        string? hashKey = null;
        string? verifier = null;
        IReadOnlyList<RetiredInstall>? retired = null;
        while (JsonFields.NextProperty(ref reader))
        {
            if (JsonFields.IsMember(ref reader, "install"u8))
            {
                install = JsonFields.Guid(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "firstUse"u8))
            {
                firstUse = JsonFields.DateTimeOffset(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "disclosureVersion"u8))
            {
                disclosureVersion = JsonFields.Int32(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "secret"u8))
            {
                secret = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "hashKey"u8))
            {
                hashKey = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "verifier"u8))
            {
                verifier = JsonFields.NullableString(ref reader);
            }
            else if (JsonFields.IsMember(ref reader, "retired"u8))
            {
                retired = ReadRetired(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        JsonFields.EndRoot(ref reader);
        // Kept keys count only whole and well formed; otherwise they are derived again from the secret.
        var keys = InstallSecret.IsWellFormed(hashKey) && InstallSecret.IsWellFormed(verifier) ? new DerivedKeys(hashKey!, verifier!) : null;
        return new InstallIdentity(install, firstUse, disclosureVersion, secret) { Retired = retired ?? [], Keys = keys };
    }

    /// <summary>The identity as the file holds it.</summary>
    public static byte[] Write(InstallIdentity identity) => JsonValues.Write(JsonValues.Indented, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("install"u8, identity.Install);
        writer.WriteString("firstUse"u8, identity.FirstUse);
        writer.WriteNumber("disclosureVersion"u8, identity.DisclosureVersion);
        JsonValues.WriteIfNotNull(writer, "secret"u8, identity.Secret);
        if (identity.Keys is { } keys)
        {
            writer.WriteString("hashKey"u8, keys.HashKey);
            writer.WriteString("verifier"u8, keys.Verifier);
        }

        if (identity.Retired.Count > 0)
        {
            writer.WriteStartArray("retired"u8);
            foreach (var retired in identity.Retired)
            {
                writer.WriteStartObject();
                writer.WriteString("install"u8, retired.Install);
                writer.WriteString("deletionProof"u8, retired.DeletionProof);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    });

    // Apart from Read: a precompiled method loads the types it names when it is first called, and most identities
    // have retired no install, so most runs need no list of them.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<RetiredInstall> ReadRetired(ref JsonScanner reader)
    {
        if (reader.TokenType != JsonToken.StartArray)
        {
            throw JsonScanner.Malformed("'retired' must be an array");
        }

        var retired = new List<RetiredInstall>();

        while (reader.Read() && reader.TokenType != JsonToken.EndArray)
        {
            JsonFields.ExpectStartObject(ref reader);
            var install = Guid.Empty;
            string? proof = null;
            while (JsonFields.NextProperty(ref reader))
            {
                if (JsonFields.IsMember(ref reader, "install"u8))
                {
                    install = JsonFields.Guid(ref reader);
                }
                else if (JsonFields.IsMember(ref reader, "deletionProof"u8))
                {
                    proof = JsonFields.NullableString(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }

            if (install == Guid.Empty || !InstallSecret.IsWellFormed(proof))
            {
                throw JsonScanner.Malformed("a retired install needs an install ID and a deletion proof of 64 lower-case hex characters");
            }

            retired.Add(new RetiredInstall(install, proof!));
        }

        return retired;
    }
}
