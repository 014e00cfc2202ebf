using System.Text.Json;
using Candor.Json;

namespace Candor.Protocol;

/// <summary>
/// Writes a <see cref="WireContext"/> exactly as <see cref="ProtocolJsonContext"/> does (camel case, no null
/// members, compact), with the JSON writer directly: the SDK writes the context once per process with telemetry
/// on, and the serializer's type metadata for it cost that process more JIT time than the writing itself. The
/// collector reads it as part of each batch item with its own reader (Candor.Collector's
/// <c>Ingestion/WireEventReader.cs</c>), which follows the same names.
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
            JsonValues.WriteIfNotNull(writer, "version"u8, context.Version);
            JsonValues.WriteIfNotNull(writer, "os"u8, context.Os);
            JsonValues.WriteIfNotNull(writer, "osVersion"u8, context.OsVersion);
            JsonValues.WriteIfNotNull(writer, "arch"u8, context.Arch);
            JsonValues.WriteIfNotNull(writer, "runtime"u8, context.Runtime);
            JsonValues.WriteIfNotNull(writer, "ci"u8, context.Ci);
            writer.WriteBoolean("container"u8, context.Container);
            writer.WriteBoolean("wsl"u8, context.Wsl);
            writer.WriteBoolean("interactive"u8, context.Interactive);
            JsonValues.WriteIfNotNull(writer, "host"u8, context.Host);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
