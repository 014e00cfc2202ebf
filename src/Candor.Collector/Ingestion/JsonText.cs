using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace Candor.Collector.Ingestion;

/// <summary>Where a JSON value stops being valid Unicode text, and how.</summary>
internal readonly record struct TextProblem(string Path, bool InName, bool Surrogate)
{
    /// <summary>A sentence for the rejection's detail; it names the place, never the bytes.</summary>
    public string Describe() =>
        $"the item is not valid text: {(InName ? "a member name in" : "the string at")} {Path} holds "
        + (Surrogate ? "an unpaired surrogate escape (\\uD800-\\uDFFF)" : "bytes that are not UTF-8");
}

/// <summary>
/// Checks that the strings and member names of JSON text are valid Unicode text. The JSON reader accepts bytes
/// that are not UTF-8 and escapes of half a surrogate pair inside strings, and only the later reads of those
/// strings (<see cref="JsonElement.GetString"/>, <see cref="JsonProperty.Name"/>, <see cref="JsonElement.TryGetGuid"/>,
/// <see cref="JsonElement.ValueEquals(string)"/>, even <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>
/// when it passes a name with such an escape) throw <see cref="InvalidOperationException"/>. Checking first lets one
/// bad item be refused on its own instead of failing the request.
/// </summary>
internal static class JsonText
{
    /// <summary>
    /// Whether every string in the body is surely valid text, checked at vector speed: the body is valid UTF-8
    /// (then so is every string in it, as UTF-8 sequences never hold the ASCII quote) and has no escape that could
    /// be a surrogate. <see langword="false"/> only means the items need <see cref="Find"/>.
    /// </summary>
    public static bool IsSurelyValid(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body))
        {
            return false;
        }

        var rest = body;
        for (var at = rest.IndexOf("\\u"u8); at >= 0; at = rest.IndexOf("\\u"u8))
        {
            if (at + 2 < rest.Length && (rest[at + 2] | 0x20) == 'd')
            {
                return false;
            }

            rest = rest[(at + 2)..];
        }

        return true;
    }

    /// <summary>
    /// The value of the object's last member of that name (the one <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>
    /// finds), without unescaping a name that is not valid text: such a name cannot be the one looked for.
    /// </summary>
    public static bool TryGetMember(JsonElement value, ReadOnlySpan<byte> name, out JsonElement member)
    {
        member = default;
        var found = false;
        foreach (var property in value.EnumerateObject())
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            var matches = raw.IndexOf((byte)'\\') < 0
                ? raw.SequenceEqual(name)
                : Check(raw, escaped: true) is null && property.NameEquals(name);
            if (matches)
            {
                member = property.Value;
                found = true;
            }
        }

        return found;
    }

    /// <summary>The first string or member name of a well-formed JSON value that is not valid text, or null.</summary>
    public static TextProblem? Find(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);

        // One frame per open object or array: the member being read, or the index of the next item.
        var frames = new List<(bool IsArray, int Index, string? Member)>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    if (Check(reader.ValueSpan, reader.ValueIsEscaped) is { } nameSurrogate)
                    {
                        frames[^1] = frames[^1] with { Member = null };
                        return new TextProblem(Path(frames), InName: true, nameSurrogate);
                    }

                    frames[^1] = frames[^1] with { Member = reader.GetString() };
                    continue;
                case JsonTokenType.String:
                    if (Check(reader.ValueSpan, reader.ValueIsEscaped) is { } valueSurrogate)
                    {
                        return new TextProblem(Path(frames), InName: false, valueSurrogate);
                    }

                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    frames.Add((reader.TokenType is JsonTokenType.StartArray, 0, null));
                    continue;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    break;
            }

            // A value ended: the next one in an array has the next index.
            if (frames.Count > 0 && frames[^1].IsArray)
            {
                frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
            }
        }

        return null;
    }

    // Null when the raw (still escaped) text is valid; else whether the problem is a surrogate escape.
    private static bool? Check(ReadOnlySpan<byte> raw, bool escaped)
    {
        if (!Utf8.IsValid(raw))
        {
            return false;
        }

        return escaped && HasUnpairedSurrogate(raw) ? true : null;
    }

    // The reader has already checked that each escape is well formed: a backslash, then one of "\/bfnrtu, and
    // four hex digits after u. What it leaves to the reads is that a high surrogate is followed by a low one.
    private static bool HasUnpairedSurrogate(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                continue;
            }

            i++;
            if (raw[i] != 'u')
            {
                continue;
            }

            var unit = Hex(raw.Slice(i + 1, 4));
            i += 4;
            if (char.IsLowSurrogate(unit))
            {
                return true;
            }

            if (char.IsHighSurrogate(unit))
            {
                if (i + 6 >= raw.Length || raw[i + 1] != '\\' || raw[i + 2] != 'u' || !char.IsLowSurrogate(Hex(raw.Slice(i + 3, 4))))
                {
                    return true;
                }

                i += 6;
            }
        }

        return false;
    }

    private static char Hex(ReadOnlySpan<byte> digits) =>
        (char)ushort.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static string Path(List<(bool IsArray, int Index, string? Member)> frames)
    {
        var path = new System.Text.StringBuilder("$");
        foreach (var (isArray, index, member) in frames)
        {
            if (isArray)
            {
                path.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (member is not null)
            {
                // Names come from the client; cut them so a detail never carries a long one back.
                path.Append('.').Append(member.Length <= 64 ? member : member[..64] + "…");
            }
        }

        return path.ToString();
    }
}
