using System.Text.Json;
using Candor.Json;

namespace Candor.Protocol;

/// <summary>
/// Writes a <see cref="WireContext"/> with the names of <see cref="WireNames.ContextMembers"/>: the bytes are those
/// <see cref="ProtocolJsonContext"/> writes with the SDK's JSON-only ASCII escaping (<c>AsciiJsonEncoder</c>; the
/// serializer's default encoder would also escape characters HTML gives a meaning to, such as <c>&lt;</c> and <c>'</c>), compact, with no null
/// members. It uses the JSON writer directly: the SDK writes the context once per process with telemetry on, and the
/// serializer's type metadata for it cost that process more JIT time than the writing itself. The event serializer
/// (<c>Tracking/EventSerializer.cs</c>) embeds these bytes in every event; the collector reads them as part of each
/// batch item with its own reader (Candor.Collector's <c>Ingestion/WireEventReader.cs</c>), with the same names.
/// </summary>
internal static class WireContextJson
{
    /// <summary>The context's UTF-8 JSON.</summary>
    public static byte[] Write(WireContext context)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer, JsonValues.Compact))
        {
            writer.WriteStartObject();
            WriteIfNotNull(writer, WireNames.ContextMembers.Version, context.Version);
            WriteIfNotNull(writer, WireNames.ContextMembers.Os, context.Os);
            WriteIfNotNull(writer, WireNames.ContextMembers.OsVersion, context.OsVersion);
            WriteIfNotNull(writer, WireNames.ContextMembers.Arch, context.Arch);
            WriteIfNotNull(writer, WireNames.ContextMembers.Runtime, context.Runtime);
            WriteIfNotNull(writer, WireNames.ContextMembers.Ci, context.Ci);
            writer.WriteBoolean(WireNames.ContextMembers.Container, context.Container);
            writer.WriteBoolean(WireNames.ContextMembers.Wsl, context.Wsl);
            writer.WriteBoolean(WireNames.ContextMembers.Interactive, context.Interactive);
            WriteIfNotNull(writer, WireNames.ContextMembers.Host, context.Host);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteIfNotNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
