using System.Text.Json;

namespace Candor.Json;

/// <summary>
/// Members of a file that this SDK does not know (a newer SDK's, or a person's), kept to be written back as they were.
/// A type of its own, so that the codecs that may keep them name no System.Text.Json type: a run reading a file
/// without such members never loads System.Text.Json (see <see cref="JsonScanner"/>).
/// </summary>
internal sealed class UnknownMembers
{
    private readonly Dictionary<string, JsonElement> _members = new(StringComparer.Ordinal);

    public int Count => _members.Count;

    public JsonElement this[string name]
    {
        get => _members[name];
        set => _members[name] = value;
    }

    /// <summary>Reads the current member; the reader is on its name.</summary>
    /// <exception cref="InvalidOperationException">The member holds text that could never be written back (see <see cref="JsonProblems.IsMalformed"/>).</exception>
    public static void Read(ref JsonScanner reader, ref UnknownMembers? unknown)
    {
        var name = reader.GetString();
        var text = new Utf8JsonReader(reader.SkipValue(), JsonValues.HandEdited);
        var value = JsonElement.ParseValue(ref text);

        // The element keeps its strings escaped and unchecked: a lone surrogate would only fail when the file is
        // written back, after the change was made. Writing it once here fails the read instead.
        using (var check = new Utf8JsonWriter(Stream.Null))
        {
            value.WriteTo(check);
        }

        (unknown ??= new())[name] = value;
    }

    /// <summary>Writes the members, as they were.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        foreach (var (name, value) in _members)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }
}
