using Candor.Json;
using Candor.Platform;

namespace Candor.Manifest;

/// <summary>One declared event: its meaning, its level and the only properties and measurements it may carry.</summary>
public sealed class EventDefinition
{
    // Bytes rather than a JsonEncodedText, whose type would load System.Text.Json with this one at every start.
    private byte[]? _jsonName;
    private readonly FieldDefinition[] _fields;

    internal EventDefinition(string name, string description, string purpose, EventLevel level, IReadOnlyList<FieldDefinition> fields)
    {
        Name = name;
        Description = description;
        Purpose = purpose;
        Level = level;
        Fields = fields;

        _fields = ListCopy.ToArray(fields);
        FieldsByName = new Dictionary<string, FieldDefinition>(fields.Count, StringComparer.Ordinal);
        foreach (var field in _fields)
        {
            // A name declared twice is an error the builder reports after this; until then the first one counts.
            FieldsByName.TryAdd(field.Name, field);
        }
    }

    /// <summary>The event's name, as sent.</summary>
    public string Name { get; }

    /// <summary>The name as a quoted JSON string, encoded once by the first writer that needs it (never at start-up).</summary>
    internal byte[] JsonName => _jsonName ??= JsonBytes.Quoted(Name);

    /// <summary>When the event is recorded.</summary>
    public string Description { get; }

    /// <summary>Why the product team needs it.</summary>
    public string Purpose { get; }

    /// <summary>Usage or error; the <c>errors</c> consent level keeps only error events.</summary>
    public EventLevel Level { get; }

    /// <summary>The declared properties and measurements, in manifest order.</summary>
    public IReadOnlyList<FieldDefinition> Fields { get; }

    /// <summary>Finds a declared property or measurement by name.</summary>
    /// <returns><see langword="null"/> when the event does not declare <paramref name="name"/>.</returns>
    public FieldDefinition? Find(string name) => FieldsByName.TryGetValue(name, out var field) ? field : null;

    /// <summary>
    /// <see cref="Find"/> for the tracking path: each field remembers the name instance it was last found by (a tool
    /// passes the same literal on every call), and the fields are compared with it by reference before the name's
    /// characters are hashed. Safe across threads for the reason given on <see cref="TelemetryManifest.Lookup"/>.
    /// </summary>
    internal FieldDefinition? Lookup(string name)
    {
        var fields = _fields;
        for (var i = 0; i < fields.Length; i++)
        {
            if (ReferenceEquals(fields[i].SeenName, name))
            {
                return fields[i];
            }
        }

        var field = Find(name);
        if (field is not null)
        {
            field.SeenName = name;
        }

        return field;
    }

    /// <summary>The name instance this event was last looked up by (<see cref="TelemetryManifest.Lookup"/>); equal to <see cref="Name"/>.</summary>
    internal string? SeenName { get; set; }

    // Not frozen, for the reason given on TelemetryManifest.EventsByName. Never changed after construction.
    internal Dictionary<string, FieldDefinition> FieldsByName { get; }
}
