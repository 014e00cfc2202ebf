using System.IO.Compression;
using Candor.Protocol;

namespace Candor.Delivery;

/// <summary>
/// Composes a batch body (a <see cref="WireBatch"/>) from spooled files without re-serializing them, so what leaves
/// the machine is byte for byte what was spooled and printed: <c>{"events":[file1,file2,...]}</c>, then gzip.
/// </summary>
internal static class BatchBody
{
    /// <summary>The bytes of <c>{"events":[</c> and <c>]}</c>.</summary>
    public static int EnvelopeBytes => Head.Length + Tail.Length;

    /// <summary>The comma between two events.</summary>
    public const int SeparatorBytes = 1;

    // {"events":[ with the name the protocol gives the member.
    private static readonly byte[] Head = System.Text.Encoding.UTF8.GetBytes($"{{\"{WireNames.Events}\":[");

    private static ReadOnlySpan<byte> Tail => "]}"u8;

    /// <summary>The uncompressed body.</summary>
    public static byte[] Json(IReadOnlyList<SpooledEvent> events)
    {
        using var buffer = new MemoryStream();
        Write(buffer, events);
        return buffer.ToArray();
    }

    /// <summary>The gzip-compressed body, as sent.</summary>
    public static byte[] Gzip(IReadOnlyList<SpooledEvent> events)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            Write(gzip, events);
        }

        return buffer.ToArray();
    }

    private static void Write(Stream stream, IReadOnlyList<SpooledEvent> events)
    {
        stream.Write(Head);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                stream.WriteByte((byte)',');
            }

            stream.Write(events[i].Json);
        }

        stream.Write(Tail);
    }
}
