using System.Text.Json;

namespace Candor.Conformance.Tests;

/// <summary>Reading the collector's raw events (as <c>/query/{product}/raw</c> returns them) in assertions.</summary>
internal static class RawEvents
{
    /// <summary>The event's name.</summary>
    public static string Name(JsonElement e) => e.GetProperty("event").GetString()!;

    /// <summary>The events' names, in order, so that a test does not depend on arrival order.</summary>
    public static string[] Names(IEnumerable<JsonElement> events) => [.. events.Select(Name).Order(StringComparer.Ordinal)];

    /// <summary>The one event of that name; fails when there is none or more.</summary>
    public static JsonElement Single(IEnumerable<JsonElement> events, string name) => Assert.Single(events, e => Name(e) == name);

    /// <summary>An object's member names, in order.</summary>
    public static string[] Members(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    /// <summary>The object as JSON with its members in order; a member named <paramref name="masked"/> (a time) is written as "*".</summary>
    public static string Sorted(JsonElement element, string? masked = null) =>
        "{" + string.Join(',', element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"\"{p.Name}\":{(p.Name == masked ? "\"*\"" : p.Value.GetRawText())}")) + "}";
}
