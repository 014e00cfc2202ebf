using System.Text.Json;
using Candor.Storage;

namespace Candor.Identity;

/// <summary>
/// Reads and writes <c>identity.json</c>, which every run with telemetry on reads, with the JSON reader and
/// writer directly (see <see cref="JsonValues"/> for why not the serializer):
/// <c>{"install": "…", "firstUse": "…", "disclosureVersion": 1}</c>, indented. Unknown members are ignored;
/// a missing one reads as its default, which <see cref="IdentityStore"/> rejects for the install ID.
/// </summary>
internal static class IdentityJson
{
    /// <summary>The identity in <paramref name="json"/>, or null when the file holds JSON <c>null</c>.</summary>
    /// <exception cref="JsonException">The file is not valid JSON or a member has the wrong type.</exception>
    public static InstallIdentity? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!JsonValues.StartRoot(ref reader))
        {
            return null;
        }

        var install = Guid.Empty;
        var firstUse = default(DateTimeOffset);
        var disclosureVersion = 0;
        while (JsonValues.NextProperty(ref reader))
        {
            if (JsonValues.IsMember(ref reader, "install"u8))
            {
                install = JsonValues.Guid(ref reader);
            }
            else if (JsonValues.IsMember(ref reader, "firstUse"u8))
            {
                firstUse = JsonValues.DateTimeOffset(ref reader);
            }
            else if (JsonValues.IsMember(ref reader, "disclosureVersion"u8))
            {
                disclosureVersion = JsonValues.Int32(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        JsonValues.EndRoot(ref reader);
        return new InstallIdentity(install, firstUse, disclosureVersion);
    }

    /// <summary>The identity as the file holds it.</summary>
    public static byte[] Write(InstallIdentity identity) => JsonValues.Write(JsonValues.Indented, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("install"u8, identity.Install);
        writer.WriteString("firstUse"u8, identity.FirstUse);
        writer.WriteNumber("disclosureVersion"u8, identity.DisclosureVersion);
        writer.WriteEndObject();
    });
}
