using System.Text;

namespace Candor.Storage;

/// <summary>Paths as the C library takes them: UTF-8 with a closing zero.</summary>
internal static class PathText
{
    /// <summary>
    /// <paramref name="path"/> in UTF-8 and a closing zero, in <paramref name="buffer"/> when it fits. The caller has
    /// refused a path with a zero in it.
    /// </summary>
    public static Span<byte> Terminated(string path, Span<byte> buffer)
    {
        var length = Encoding.UTF8.GetByteCount(path) + 1;
        var bytes = length <= buffer.Length ? buffer[..length] : new byte[length];
        Encoding.UTF8.GetBytes(path, bytes);
        bytes[^1] = 0;
        return bytes;
    }
}
