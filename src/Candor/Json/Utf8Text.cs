namespace Candor.Json;

/// <summary>Reading the small UTF-8 files people may edit by hand.</summary>
internal static class Utf8Text
{
    /// <summary>The bytes without a leading UTF-8 byte order mark, which Windows editors add and JSON readers refuse.</summary>
    public static ReadOnlySpan<byte> WithoutBom(byte[] bytes)
    {
        ReadOnlySpan<byte> span = bytes;
        return span.StartsWith("\uFEFF"u8) ? span[3..] : span;
    }
}
