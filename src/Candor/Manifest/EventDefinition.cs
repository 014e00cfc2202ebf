using System.Collections.Frozen;

namespace Candor.Manifest;

/// <summary>One declared event: its meaning, its level and the only properties and measurements it may carry.</summary>
public sealed class EventDefinition
{
    internal EventDefinition(string name, string description, string purpose, EventLevel level, IReadOnlyList<FieldDefinition> fields)
    {
        Name = name;
        Description = description;
        Purpose = purpose;
        Level = level;
        Fields = fields;
        FieldsByName = fields.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
    }

    /// <summary>The event's name, as sent.</summary>
    public string Name { get; }

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
    public FieldDefinition? Find(string name) => FieldsByName.GetValueOrDefault(name);

    internal FrozenDictionary<string, FieldDefinition> FieldsByName { get; }
}
