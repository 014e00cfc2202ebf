using Candor.Json;

namespace Candor.Protocol;

/// <summary>
/// Writes a <see cref="WireContext"/> with the names of <see cref="WireNames.ContextMembers"/>: the bytes are those
/// <see cref="ProtocolJsonContext"/> writes with the SDK's JSON-only ASCII escaping (<c>AsciiJsonEncoder</c>; the
/// serializer's default encoder would also escape characters HTML gives a meaning to, such as <c>&lt;</c> and <c>'</c>), compact, with no null
/// members. It appends the values with <see cref="JsonBytes"/>, as the event writer does, not with a JSON writer: the
/// SDK writes the context once per process with telemetry on, and building a writer and its encoder loaded
/// System.Text.Json and System.Text.Encodings.Web for that alone. The event serializer
/// (<c>Tracking/EventSerializer.cs</c>) embeds these bytes in every event; the collector reads them as part of each
/// batch item with its own reader (Candor.Collector's <c>Ingestion/WireEventReader.cs</c>), with the same names.
/// </summary>
internal static class WireContextJson
{
    /// <summary>The context's UTF-8 JSON.</summary>
    /// <exception cref="ArgumentException">A value is not valid UTF-16 (a lone surrogate).</exception>
    public static byte[] Write(WireContext context)
    {
        using var json = new JsonBytes();
        var writer = new ObjectWriter(json, new ByteBuffer(256));
        writer.String(WireNames.ContextMembers.Version, context.Version);
        writer.String(WireNames.ContextMembers.Os, context.Os);
        writer.String(WireNames.ContextMembers.OsVersion, context.OsVersion);
        writer.String(WireNames.ContextMembers.Arch, context.Arch);
        writer.String(WireNames.ContextMembers.Runtime, context.Runtime);
        writer.String(WireNames.ContextMembers.Ci, context.Ci);
        writer.Boolean(WireNames.ContextMembers.Container, context.Container);
        writer.Boolean(WireNames.ContextMembers.Wsl, context.Wsl);
        writer.Boolean(WireNames.ContextMembers.Interactive, context.Interactive);
        writer.String(WireNames.ContextMembers.Host, context.Host);
        return writer.End();
    }

    private struct ObjectWriter(JsonBytes json, ByteBuffer buffer)
    {
        private bool _started;

        public void String(string name, string? value)
        {
            if (value is not null)
            {
                Name(name);
                json.AppendString(buffer, value);
            }
        }

        public void Boolean(string name, bool value)
        {
            Name(name);
            buffer.Append(value ? "true"u8 : "false"u8);
        }

        public byte[] End()
        {
            buffer.Append(_started ? "}"u8 : "{}"u8);
            return buffer.WrittenSpan.ToArray();
        }

        private void Name(string name)
        {
            buffer.Append(_started ? ","u8 : "{"u8);
            _started = true;
            json.AppendString(buffer, name);
            buffer.Append(":"u8);
        }
    }
}
