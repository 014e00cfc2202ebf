using System.Globalization;
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
/// signature = type( &lt;- type){0,4}( at frame( | frame){0,15})?      at most 1024 characters
/// type      = [external] | name                                       Namespace.Type
/// frame     = [external] | id(\.id){1,9}                              Namespace.Type.Method
/// </code>
/// <para>
/// The types are the exception's and its inner exceptions', outer first. The frames are innermost first; a run of
/// frames outside the product's code is one <c>[external]</c>. There are no spaces, slashes, colons, quotes or
/// control characters in a name, so a message, a path, an address or a line number cannot be written into one.
/// </para>
/// <para>
/// Beyond the shape, every name is of a known origin (<see cref="CheckNamespaces"/>): a frame is in one of the
/// product's declared namespaces, and an exception type is in one of them or in the framework's
/// (<see cref="FrameworkNamespaces"/>). Anything else is <c>[external]</c>, so a third party's identifier, which
/// anyone can choose to spell a user name, never reaches the collector.
/// </para>
/// </remarks>
internal static partial class StackGrammar
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

    /// <summary>The exception type that stands for a type outside both the product's code and the framework.</summary>
    public const string ExternalType = "[external]";

    /// <summary>
    /// The namespaces of the framework's exception types (<c>System.IO.IOException</c>,
    /// <c>Microsoft.Extensions.Options.OptionsValidationException</c>), kept in a signature whatever the product declares.
    /// </summary>
    public static readonly IReadOnlyList<string> FrameworkNamespaces = ["System", "Microsoft"];

    /// <summary>Between an exception type and the type of its inner exception.</summary>
    public const string CauseSeparator = " <- ";

    /// <summary>Between the types and the first frame.</summary>
    public const string FramesSeparator = " at ";

    /// <summary>Between two frames.</summary>
    public const string FrameSeparator = " | ";

    /// <summary>What a signature looks like, for refusals and documentation.</summary>
    public const string Description =
        "exception type names (or [external]) separated by ' <- ', then optionally ' at ' and frames (Namespace.Type.Method or [external]) separated by ' | ': letters, digits, '_' and '.', at most 5 types, 16 frames and 1024 characters";

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

            if (type is null || (type != ExternalType && !NamePattern().IsMatch(type)))
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

    /// <summary>
    /// Whether the dotted <paramref name="name"/> is in one of <paramref name="namespaces"/>: it equals one, or begins
    /// with one and a dot. Whole segments only, so <c>Kmpkg</c> holds <c>Kmpkg.Install.Run</c> but not <c>KmpkgEvil.Run</c>.
    /// </summary>
    public static bool IsInNamespaces(string name, IReadOnlyList<string> namespaces)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(namespaces);
        foreach (var space in namespaces)
        {
            if (name.StartsWith(space, StringComparison.Ordinal) && (name.Length == space.Length || name[space.Length] == '.'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Null when every name in <paramref name="value"/>, a signature that passes <see cref="Check"/>, is of a known
    /// origin: each exception type is <see cref="ExternalType"/> or in <paramref name="namespaces"/> (the product's
    /// declared ones) or <see cref="FrameworkNamespaces"/>, and each frame is <see cref="ExternalFrame"/> or in
    /// <paramref name="namespaces"/>. Else which type or frame is not (counted from 1, never quoting it).
    /// </summary>
    public static string? CheckNamespaces(string value, IReadOnlyList<string> namespaces)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(namespaces);
        var at = value.IndexOf(FramesSeparator, StringComparison.Ordinal);
        var types = (at < 0 ? value : value[..at]).Split(CauseSeparator);
        for (var i = 0; i < types.Length; i++)
        {
            var type = types[i];
            if (type != ExternalType && !IsInNamespaces(type, namespaces) && !IsInNamespaces(type, FrameworkNamespaces))
            {
                return $"exception type {(i + 1).ToString(CultureInfo.InvariantCulture)} is in neither the product's declared namespaces ({Listed(namespaces)}) nor {Listed(FrameworkNamespaces)}; send {ExternalType} instead";
            }
        }

        if (at >= 0)
        {
            var frames = value[(at + FramesSeparator.Length)..].Split(FrameSeparator);
            for (var i = 0; i < frames.Length; i++)
            {
                if (frames[i] != ExternalFrame && !IsInNamespaces(frames[i], namespaces))
                {
                    return $"frame {(i + 1).ToString(CultureInfo.InvariantCulture)} is not in the product's declared namespaces ({Listed(namespaces)}); send {ExternalFrame} instead";
                }
            }
        }

        return null;
    }

    private static string Listed(IReadOnlyList<string> namespaces) => namespaces.Count == 0 ? "none" : string.Join(", ", namespaces);

    // Splits at dots and '+', leaving the dots of ".ctor" and ".cctor" as empty parts that are dropped.
    private static string[] SplitNames(string name) => name.Split(['.', '+']);

    // The name a compiler-generated name was made from. <Outer>g__Local|0_0 is a local function named Local;
    // <Name>b__0_0 a lambda in Name; <Name>d__3 the state machine of Name; <>c and <>c__DisplayClass0_0 closure
    // classes with no name of their own. Brackets nest: the entry point of top-level statements is <Main>$, so a
    // lambda in it is <<Main>$>b__0_0 and its async state machine <<Main>$>d__0, both of Main.
    private static string Unwrapped(string name)
    {
        while (name.StartsWith('<'))
        {
            var close = MatchingClose(name);
            if (close < 0)
            {
                return "";
            }

            var rest = name.AsSpan(close + 1);
            if (rest.StartsWith("g__", StringComparison.Ordinal) && rest.IndexOf('|') is var bar and > 3)
            {
                return rest[3..bar].ToString();
            }

            name = name[1..close];
        }

        return name;
    }

    // The index of the '>' that closes the '<' at 0, or -1.
    private static int MatchingClose(string name)
    {
        var depth = 0;
        for (var i = 0; i < name.Length; i++)
        {
            depth += name[i] switch { '<' => 1, '>' => -1, _ => 0 };
            if (depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static string? Identifier(string part)
    {
        var name = Unwrapped(part);
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

    [GeneratedRegex(@"\A(\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){0,9})( <- (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){0,9})){0,4}( at (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){1,9})( \| (\[external\]|[A-Za-z0-9_]{1,80}(\.[A-Za-z0-9_]{1,80}){1,9})){0,15})?\z")]
    private static partial Regex SignaturePattern();
}
