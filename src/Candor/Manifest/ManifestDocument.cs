namespace Candor.Manifest;

// The manifest file exactly as written, read by ManifestJson. Strings stay strings here so that a typo in a
// kind or level is reported by ManifestBuilder with the event and property it belongs to, not as a bare JSON error.
internal sealed class ManifestDocument
{
    public string? Schema { get; set; }

    public string? Product { get; set; }

    public string? Name { get; set; }

    public int Revision { get; set; } = 1;

    public string? Consent { get; set; }

    public DisclosureDocument? Disclosure { get; set; }

    public OptOutDocument? OptOut { get; set; }

    public int? RetentionMonths { get; set; }

    public string? Ci { get; set; }

    public string? Contact { get; set; }

    public List<string>? NeverCollected { get; set; }

    public List<string>? Namespaces { get; set; }

    public List<EventDocument>? Events { get; set; }

    public MappingsDocument? Mappings { get; set; }
}

internal sealed class DisclosureDocument
{
    public int Version { get; set; } = 1;

    public string? Text { get; set; }
}

internal sealed class OptOutDocument
{
    public List<string>? EnvironmentVariables { get; set; }

    public List<string>? Flags { get; set; }
}

internal sealed class EventDocument
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public string? Purpose { get; set; }

    public string? Level { get; set; }

    public List<FieldDocument>? Properties { get; set; }

    public List<FieldDocument>? Measurements { get; set; }
}

internal sealed class FieldDocument
{
    public string? Name { get; set; }

    public string? Kind { get; set; }

    public string? Description { get; set; }

    public List<string>? Values { get; set; }

    public string? Unit { get; set; }

    public double? Minimum { get; set; }

    public double? Maximum { get; set; }

    public double[]? Boundaries { get; set; }

    public List<string>? Allow { get; set; }

    public FieldDocument? Item { get; set; }

    public int? MaxItems { get; set; }
}

internal sealed class MappingsDocument
{
    public DoorDocument? Otlp { get; set; }

    public DoorDocument? ApplicationInsights { get; set; }
}

// One shape for both doors, so one reader serves both; the builder says which lists belong to which door.
internal sealed class DoorDocument
{
    public string? Install { get; set; }

    public Dictionary<ItemType, List<RuleDocument>> Rules { get; } = [];
}

internal sealed class RuleDocument
{
    public string? Name { get; set; }

    public string? Event { get; set; }

    public List<KeyValuePair<string, string>>? Fields { get; set; }

    public string? Duration { get; set; }

    public string? Success { get; set; }

    public string? Stack { get; set; }
}
