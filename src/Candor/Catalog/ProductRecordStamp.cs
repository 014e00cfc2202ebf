using Candor.Storage;

namespace Candor.Catalog;

/// <summary>
/// A word that changes whenever what a product record is written from changes (its format, the product, its version,
/// collector, key and manifest), written near the top of <c>catalog/{id}.json</c>. A run of an unchanged tool finds
/// it there and is done, without parsing the record and comparing it member by member: that took every recording run
/// the JSON scanner's number, escape and decimal paths.
/// </summary>
/// <remarks>
/// 64-bit FNV-1a over the values' characters, each value preceded by its length, so no two different lists of values
/// run together into the same text. It detects change; it guards nothing: the record is the user's own file, and a hand
/// edit that keeps the word is kept until the tool changes.
/// </remarks>
internal static class ProductRecordStamp
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    // Where the stamp may be found: the record's first members are its version and its stamp.
    private const int Window = 128;

    /// <summary>The stamp of <paramref name="document"/> with <paramref name="manifestJson"/> as its manifest.</summary>
    public static string Of(ProductRecordDocument document, string manifestJson)
    {
        var hash = Offset;
        hash = Add(hash, document.Version);
        hash = Add(hash, document.Product);
        hash = Add(hash, document.ProductVersion);
        hash = Add(hash, document.Endpoint);
        hash = Add(hash, document.IngestionKey);
        hash = Add(hash, manifestJson);
        // Written out by hand: formatting a number asks the culture, which no other part of a recording run loads.
        Span<char> hex = stackalloc char[16];
        for (var i = 15; i >= 0; i--, hash >>= 4)
        {
            hex[i] = "0123456789abcdef"[(int)(hash & 0xF)];
        }

        return new string(hex);
    }

    /// <summary>Whether the file at <paramref name="path"/> is a record that names <paramref name="stamp"/> as its stamp. Never throws.</summary>
    public static bool IsFoundIn(IFileSystem files, string path, string stamp)
    {
        byte[]? bytes;
        try
        {
            bytes = files.ReadFile(path, HomeFiles.MaxCatalogBytes).Bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        if (bytes is null)
        {
            return false;
        }

        // "stamp": "<16 hex digits>", as the record's writer lays it out.
        var name = "\"stamp\": \""u8;
        Span<byte> member = stackalloc byte[name.Length + stamp.Length + 1];
        name.CopyTo(member);
        for (var i = 0; i < stamp.Length; i++)
        {
            member[name.Length + i] = (byte)stamp[i];
        }

        member[^1] = (byte)'"';
        // A loop, not MemoryExtensions.IndexOf: its search for a run of bytes is compiled at run time, as the
        // framework's precompiled code lacks it.
        var head = bytes.AsSpan(0, Math.Min(bytes.Length, Window));
        for (var i = 0; i + member.Length <= head.Length; i++)
        {
            if (head[i] == (byte)'"' && head.Slice(i, member.Length).SequenceEqual(member))
            {
                return true;
            }
        }

        return false;
    }

    private static ulong Add(ulong hash, string? value)
    {
        // A missing value and an empty one differ: the length of a missing one is -1.
        hash = Add(hash, value?.Length ?? -1);
        if (value is not null)
        {
            for (var i = 0; i < value.Length; i++)
            {
                hash = (hash ^ value[i]) * Prime;
            }
        }

        return hash;
    }

    private static ulong Add(ulong hash, int value)
    {
        for (var shift = 0; shift < 32; shift += 8)
        {
            hash = (hash ^ (byte)(value >> shift)) * Prime;
        }

        return hash;
    }
}
