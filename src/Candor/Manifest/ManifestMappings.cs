namespace Candor.Manifest;

/// <summary>
/// The manifest's optional <c>mappings</c> section: how items sent by clients other than Candor's SDK (OpenTelemetry
/// over OTLP, Application Insights and the Azure Monitor exporter) become declared events at the collector. The SDK
/// reads and checks it but tracks nothing through it; only the collector applies it.
/// </summary>
public sealed class ManifestMappings
{
    internal ManifestMappings(DoorMapping? otlp, DoorMapping? applicationInsights)
    {
        Otlp = otlp;
        ApplicationInsights = applicationInsights;
    }

    /// <summary>How OTLP log records and spans map, or null when none do.</summary>
    public DoorMapping? Otlp { get; }

    /// <summary>How Application Insights envelopes (events, requests, dependencies, exceptions) map, or null when none do.</summary>
    public DoorMapping? ApplicationInsights { get; }
}

/// <summary>The mappings of one foreign client protocol: where the install ID comes from, and one list of rules per item type.</summary>
public sealed class DoorMapping
{
    internal DoorMapping(string install, IReadOnlyDictionary<ItemType, IReadOnlyList<ItemMapping>> rules)
    {
        Install = install;
        Rules = rules;
    }

    /// <summary>
    /// The attribute (OTLP: a resource attribute; Application Insights: a context tag) whose value is the install ID,
    /// a random UUID. An item without one is refused: the collector derives no ID from anything else.
    /// </summary>
    public string Install { get; }

    /// <summary>The rules by item type, in manifest order; an item takes the first rule whose name matches.</summary>
    public IReadOnlyDictionary<ItemType, IReadOnlyList<ItemMapping>> Rules { get; }

    /// <summary>The first rule for an item of <paramref name="type"/> named <paramref name="name"/>, or null when none maps it.</summary>
    public ItemMapping? Find(ItemType type, string? name)
    {
        if (!Rules.TryGetValue(type, out var rules))
        {
            return null;
        }

        foreach (var rule in rules)
        {
            if (rule.Name is null || string.Equals(rule.Name, name, StringComparison.Ordinal))
            {
                return rule;
            }
        }

        return null;
    }
}

/// <summary>The kinds of foreign items a mapping rule applies to.</summary>
public enum ItemType
{
    /// <summary>An OTLP log record, matched by its event name.</summary>
    Log,

    /// <summary>An OTLP span, matched by its name.</summary>
    Span,

    /// <summary>An Application Insights custom event, matched by its name.</summary>
    Event,

    /// <summary>An Application Insights request, matched by its name.</summary>
    Request,

    /// <summary>An Application Insights dependency, matched by its name.</summary>
    Dependency,

    /// <summary>An Application Insights exception; a rule without a name matches every exception.</summary>
    Exception,
}

/// <summary>One rule: which foreign item becomes which declared event, and which of its attributes become which declared fields.</summary>
public sealed class ItemMapping
{
    internal ItemMapping(string? name, EventDefinition target, IReadOnlyList<KeyValuePair<string, FieldDefinition>> fields,
        FieldDefinition? duration, FieldDefinition? success, FieldDefinition? stack)
    {
        Name = name;
        Event = target;
        Fields = fields;
        Duration = duration;
        Success = success;
        Stack = stack;
    }

    /// <summary>The item's name this rule matches (null: every exception).</summary>
    public string? Name { get; }

    /// <summary>The declared event the item becomes.</summary>
    public EventDefinition Event { get; }

    /// <summary>Attribute (or custom dimension, or custom measurement) name to declared field; every other attribute is dropped.</summary>
    public IReadOnlyList<KeyValuePair<string, FieldDefinition>> Fields { get; }

    /// <summary>The declared duration field that receives a span's, request's or dependency's duration, or null.</summary>
    public FieldDefinition? Duration { get; }

    /// <summary>The declared bool field that receives whether a span, request or dependency succeeded, or null.</summary>
    public FieldDefinition? Success { get; }

    /// <summary>The declared stack field that receives an exception's scrubbed signature, or null.</summary>
    public FieldDefinition? Stack { get; }
}
