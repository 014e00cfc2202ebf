using System.Text;
using System.Text.RegularExpressions;

namespace Candor.Protocol;

/// <summary>
/// The one grammar of a <c>stack</c> value: exception type names, then the frames of the product's own code,
/// each a dotted name of identifiers, and nothing else. The SDK builds signatures with <see cref="NormalizeName"/>
/// and <see cref="Compose"/>; the collector refuses a value that fails <see cref="Check"/>.
/// </summary>
/// <remarks>
/// <para>The grammar, with <c>name</c> = <c>id(\.id){0,9}</c> and <c>id</c> = <c>[A-Za-z0-9_]{1,80}</c>:</para>
/// <code>
/// signature = name( &lt;- name){0,4}( at frame( | frame){0,15})?      at most 1024 characters
/// frame     = [external] | id(\.id){1,9}                              Namespace.Type.Method
/// </code>
/// <para>
/// The types are the exception's and its inner exceptions', outer first. The frames are innermost first; a run of
/// frames outside the product's code is one <c>[external]</c>. There are no spaces, slashes, colons, quotes or
/// control characters in a name, so a message, a path, an address or a line number cannot be written into one.
/// </para>
/// </remarks>
public static partial class StackGrammar
{
    /// <summary>The longest signature, in characters.</summary>
    public const int MaxLength = 1024;

    /// <summary>The most exception types: the exception and four inner ones.</summary>
    public const int MaxTypes = 5;

    /// <summary>The most frames.</summary>
    public const int MaxFrames = 16;

    /// <summary>The most dot-separated identifiers in one name.</summary>
    public const int MaxSegments = 10;

    /// <summary>The longest identifier.</summary>
    public const int MaxIdentifier = 80;

    /// <summary>The frame that stands for a run of frames outside the product's code.</summary>
    public const string ExternalFrame = "[external]";

    /// <summary>Between an exception type and the type of its inner exception.</summary>
    public const string CauseSeparator = " <- ";

    /// <summary>Between the types and the first frame.</summary>
    public const string FramesSeparator = " at ";

    /// <summary>Between two frames.</summary>
    public const string FrameSeparator = " | ";

    /// <summary>What a signature looks like, for refusals and documentation.</summary>
    public const string Description =
        "exception type names separated by ' <- ', then optionally ' at ' and frames (Namespace.Type.Method or [external]) separated by ' | ': letters, digits, '_' and '.', at most 5 types, 16 frames and 1024 characters";

    /// <summary>
    /// A dotted name of identifiers for a CLR type or method name as reflection gives it: <c>+</c> of nested types
    /// becomes a dot, generic arity (<c>`1</c>) and arguments (<c>[[...]]</c>) go, a compiler-generated name keeps the
    /// name it was made from (<c>&lt;Run&gt;b__0_0</c>, a lambda in <c>Run</c>, is <c>Run</c>; <c>&lt;Run&gt;g__Local|0_0</c>,
    /// a local function, is <c>Local</c>; a closure class <c>&lt;&gt;c__DisplayClass0_0</c> goes), the dots of
    /// <c>.ctor</c> go, and any other character outside <c>[A-Za-z0-9_]</c> becomes <c>_</c>. Identifiers are cut
    /// to <see cref="MaxIdentifier"/> characters, and only the last <see cref="MaxSegments"/> are kept. Null when
    /// nothing is left.
    /// </summary>
    public static string? NormalizeName(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        // Generic arguments and an assembly qualification come after the first '[' or ','.
        var cut = raw.AsSpan();
        var end = cut.IndexOfAny('[', ',');
        if (end >= 0)
        {
            cut = cut[..end];
        }

        // "<.ctor>b__0_0", a lambda in a constructor: the dot is part of the name in brackets, not a separator.
        var segments = new List<string>();
        foreach (var part in SplitNames(cut.ToString().Replace("<.", "<", StringComparison.Ordinal)))
        {
            if (Identifier(part) is { } identifier)
            {
                segments.Add(identifier);
            }
        }

        if (segments.Count == 0)
        {
            return null;
        }

        return string.Join('.', segments.Count > MaxSegments ? segments.GetRange(segments.Count - MaxSegments, MaxSegments) : segments);
    }

    /// <summary>
    /// The signature of <paramref name="types"/> (outer first) and <paramref name="frames"/> (innermost first), each
    /// already a <see cref="NormalizeName"/> result or <see cref="ExternalFrame"/>: at most <see cref="MaxTypes"/>
    /// types and <see cref="MaxFrames"/> frames, whole ones only, within <see cref="MaxLength"/>. A frame that is a
    /// single identifier (no type) counts as external; consecutive equal frames are one, and a signature does not
    /// begin with <see cref="ExternalFrame"/>. Null when there is no type name.
    /// </summary>
    public static string? Compose(IEnumerable<string?> types, IEnumerable<string?> frames)
    {
        var text = new StringBuilder(256);
        var typeCount = 0;
        foreach (var type in types)
        {
            if (typeCount == MaxTypes)
            {
                break;
            }

            if (type is null || !NamePattern().IsMatch(type))
            {
                continue;
            }

            var separator = typeCount == 0 ? "" : CauseSeparator;
            if (text.Length + separator.Length + type.Length > MaxLength)
            {
                break;
            }

            text.Append(separator).Append(type);
            typeCount++;
        }

        if (typeCount == 0)
        {
            return null;
        }

        var frameCount = 0;
        string? last = null;
        foreach (var frame in frames)
        {
            if (frameCount == MaxFrames)
            {
                break;
            }

            var written = frame is not null && FramePattern().IsMatch(frame) ? frame : ExternalFrame;
            if (string.Equals(written, last, StringComparison.Ordinal) || (written == ExternalFrame && frameCount == 0))
            {
                continue;
            }

            var separator = frameCount == 0 ? FramesSeparator : FrameSeparator;
            if (text.Length + separator.Length + written.Length > MaxLength)
            {
                break;
            }

            text.Append(separator).Append(written);
            last = written;
            frameCount++;
        }

        return text.ToString();
    }

    /// <summary>Null when <paramref name="value"/> is a signature in the grammar, else why it is not.</summary>
    public static string? Check(string? value) =>
        value is null || value.Length == 0 ? "must not be empty"
        : value.Length > MaxLength ? $"is longer than {MaxLength} characters"
        : SignaturePattern().IsMatch(value) ? null
        : $"must be a scrubbed signature: {Description}";

    // Splits at dots and '+', leaving the dots of ".ctor" and ".cctor" as empty parts that are dropped.
    private static string[] SplitNames(string name) => name.Split(['.', '+']);

    private static string? Identifier(string part)
    {
        var name = part;
        if (name.StartsWith('<'))
        {
            // <Outer>g__Local|0_0 is a local function named Local; <Name>b__0_0 a lambda in Name; <Name>d__3 the state
            // machine of Name; <>c and <>c__DisplayClass0_0 closure classes with no name of their own.
            var close = name.IndexOf('>', StringComparison.Ordinal);
            var local = name.IndexOf(">g__", StringComparison.Ordinal);
            if (local >= 0)
            {
                var bar = name.IndexOf('|', local);
                name = bar > local + 4 ? name[(local + 4)..bar] : name[1..local];
            }
            else
            {
                name = close > 1 ? name[1..close] : "";
            }
        }

        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        if (name.Length == 0)
        {
            return null;
        }

        var length = Math.Min(name.Length, MaxIdentifier);
        return string.Create(length, name, static (chars, name) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                var c = name[i];
                chars[i] = char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_';
            }
        });
    }

    [GeneratedRegex(@"\A[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){0,9}\z")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){1,9}\z")]
    private static partial Regex FramePattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){0,9}( <- [A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){0,9}){0,4}( at (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){1,9})( \| (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){1,9})){0,15})?\z")]
    private static partial Regex SignaturePattern();
}
