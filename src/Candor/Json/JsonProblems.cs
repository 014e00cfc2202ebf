using System.Text.Json;

namespace Candor.Json;

/// <summary>
/// Tells a file that is not the JSON Candor writes from any other failure. A class of its own, apart from
/// <see cref="JsonValues"/>: that one holds the reader's and writer's options in static fields, so a JIT-compiled
/// method that merely names it loads System.Text.Json, and the readers of the settings and policy files, which every
/// start runs telemetry off included, name this check even when there is no file to parse.
/// </summary>
internal static class JsonProblems
{
    /// <summary>
    /// Whether <paramref name="exception"/>, thrown while reading one of these files, says the file is malformed:
    /// bad JSON or a value of the wrong type (<see cref="JsonException"/>), or text that is not valid UTF-8, or an
    /// escape that is not valid UTF-16 (a lone surrogate, <c>"\ud800"</c>), which the reader reports with
    /// <see cref="InvalidOperationException"/> when the string is read.
    /// </summary>
    public static bool IsMalformed(Exception exception) => exception is JsonException or InvalidOperationException;
}
