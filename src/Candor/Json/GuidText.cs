using System.Text;

namespace Candor.Json;

/// <summary>
/// GUIDs as lowercase hexadecimal ASCII, in the "D" (with dashes) or "N" (32 digits) layout, written digit by digit:
/// the runtime's GUID formatting is vectorised code that is compiled at run time, a cost every run that records
/// an event would otherwise pay as it exits.
/// </summary>
internal static class GuidText
{
    /// <summary>The length of the "D" layout; "N" is 32.</summary>
    public const int MaxLength = 36;

    /// <summary>Writes <paramref name="id"/> and returns the bytes written (36 with dashes, 32 without).</summary>
    public static int Format(Guid id, Span<byte> destination, bool dashes)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        var digits = "0123456789abcdef"u8;
        var j = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (dashes && i is 4 or 6 or 8 or 10)
            {
                destination[j++] = (byte)'-';
            }

            destination[j++] = digits[bytes[i] >> 4];
            destination[j++] = digits[bytes[i] & 0xF];
        }

        return j;
    }

    /// <summary>The "N" layout as a string, for file names.</summary>
    public static string Digits(Guid id)
    {
        Span<byte> text = stackalloc byte[32];
        return Encoding.ASCII.GetString(text[..Format(id, text, dashes: false)]);
    }
}
