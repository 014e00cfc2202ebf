using Candor.Manifest;

namespace Candor.Collector.Interop;

/// <summary>
/// One item as an OTLP or Application Insights client sent it, read into the few things a mapping can use: its
/// type and name, its time, its attributes, what describes its process (<see cref="ForeignContext"/>) and, for
/// spans, requests and dependencies, its duration and outcome; for exceptions, its type and frame names. Free
/// text (a log body, a message) is never read into it: the readers only count that it was there.
/// </summary>
internal sealed class ForeignItem
{
    /// <summary>The item's position in its request, from 0, as the client counts it (for per-item errors).</summary>
    public int Position { get; init; }

    public ItemType Type { get; init; }

    public string? Name { get; set; }

    public DateTimeOffset? Time { get; set; }

    public ForeignContext Context { get; set; } = ForeignContext.Empty;

    public List<KeyValuePair<string, ForeignValue>> Attributes { get; } = [];

    public double? DurationMilliseconds { get; set; }

    public bool? Success { get; set; }

    /// <summary>An exception's type names, outermost first, as the client wrote them.</summary>
    public List<string?> ExceptionTypes { get; } = [];

    /// <summary>An exception's frames (<c>Namespace.Type.Method</c>), innermost first, as the client wrote them.</summary>
    public List<string?> Frames { get; } = [];

    /// <summary>How many free-text parts (a log body, an exception message) the item carried, none of them read.</summary>
    public int FreeText { get; set; }

    /// <summary>A stable digest of the item as sent, from which its event ID is made, so that a resent item is stored once.</summary>
    public byte[] Digest { get; set; } = [];
}

/// <summary>
/// What describes the sending process, read from its resource attributes (OTLP) or context tags (Application
/// Insights); <see cref="Resource"/> holds them all, for the install ID's attribute, which the mapping names.
/// </summary>
internal sealed record ForeignContext(string? Version, string? Os, string? OsVersion, string? Arch, string? Runtime)
{
    public static ForeignContext Empty { get; } = new(null, null, null, null, null);

    public IReadOnlyList<KeyValuePair<string, ForeignValue>> Resource { get; init; } = [];

    /// <summary>The text of the attribute or tag named <paramref name="name"/>, or null.</summary>
    public string? Attribute(string name)
    {
        foreach (var (key, value) in Resource)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return value.AsText();
            }
        }

        return null;
    }
}

/// <summary>An attribute's value: text, a bool, a number or a list of texts (other shapes are read as absent).</summary>
internal readonly record struct ForeignValue(string? Text, bool? Bool, double? Number, IReadOnlyList<string>? Items)
{
    public static ForeignValue Of(string text) => new(text, null, null, null);

    public static ForeignValue Of(bool value) => new(null, value, null, null);

    public static ForeignValue Of(double value) => new(null, null, value, null);

    public static ForeignValue Of(IReadOnlyList<string> items) => new(null, null, null, items);

    /// <summary>The value as text, numbers in the invariant culture; null for a list.</summary>
    public string? AsText() =>
        Text ?? (Bool is { } b ? (b ? "true" : "false") : Number is { } n ? n.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : null);
}
