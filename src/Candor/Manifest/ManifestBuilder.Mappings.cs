namespace Candor.Manifest;

// The mappings section: every rule must name a declared event, and every target a field of that event whose kind
// can hold what the rule puts in it; a door takes only its own item types.
internal sealed partial class ManifestBuilder
{
    private const string DefaultOtlpInstall = "service.instance.id";
    private const string DefaultApplicationInsightsInstall = "ai.user.id";
    private const int MaxRules = 256;

    private static readonly ItemType[] OtlpTypes = [ItemType.Log, ItemType.Span];
    private static readonly ItemType[] ApplicationInsightsTypes = [ItemType.Event, ItemType.Request, ItemType.Dependency, ItemType.Exception];

    private ManifestMappings? BuildMappings(MappingsDocument? d, EventLookup events)
    {
        if (d is null)
        {
            return null;
        }

        return new ManifestMappings(
            BuildDoor(d.Otlp, "mappings.otlp", DefaultOtlpInstall, OtlpTypes, events),
            BuildDoor(d.ApplicationInsights, "mappings.applicationInsights", DefaultApplicationInsightsInstall, ApplicationInsightsTypes, events));
    }

    private DoorMapping? BuildDoor(DoorDocument? d, string where, string defaultInstall, ItemType[] types, EventLookup events)
    {
        if (d is null)
        {
            return null;
        }

        if (d.Install is { } install && string.IsNullOrWhiteSpace(install))
        {
            Error($"{where}: 'install' must name the attribute that holds the install ID");
        }

        var rules = new Dictionary<ItemType, IReadOnlyList<ItemMapping>>();
        foreach (var (type, documents) in d.Rules)
        {
            var list = ListName(type);
            if (!types.Contains(type))
            {
                Error($"{where}: '{list}' does not apply here (this door maps {string.Join(", ", types.Select(ListName))})");
                continue;
            }

            if (documents.Count > MaxRules)
            {
                Error($"{where}.{list}: more than {MaxRules} rules");
            }

            var built = new List<ItemMapping>(documents.Count);
            for (var i = 0; i < documents.Count; i++)
            {
                if (BuildRule(documents[i], type, $"{where}.{list}[{i}]", events) is { } rule)
                {
                    built.Add(rule);
                }
            }

            rules[type] = built;
        }

        return new DoorMapping(d.Install ?? defaultInstall, rules);
    }

    private ItemMapping? BuildRule(RuleDocument d, ItemType type, string where, EventLookup events)
    {
        if (d.Name is null && type is not ItemType.Exception)
        {
            Error($"{where}: 'name' is required: the {ListName(type)} item name this rule maps");
        }

        if (d.Event is null || events(d.Event) is not { } target)
        {
            Error($"{where}: 'event' must name a declared event (found '{d.Event}')");
            return null;
        }

        where += $" (event '{target.Name}')";
        var fields = new List<KeyValuePair<string, FieldDefinition>>();
        var sources = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (source, name) in d.Fields ?? [])
        {
            if (!sources.Add(source))
            {
                Error($"{where}: attribute '{source}' is mapped twice");
            }

            if (Target(target, name, where, $"attribute '{source}'") is { } field)
            {
                Expect(field.Kind is not FieldKind.Stack, where, $"field '{name}' is a stack; only an exception's signature fills it (use 'stack')");
                Expect(field.Kind is not FieldKind.Hash, where, $"field '{name}' is a keyed hash, which only Candor's SDK can make (its key is the install's own secret); a hash made elsewhere could be reversed with a dictionary");
                fields.Add(new(source, field));
            }
        }

        var duration = d.Duration is null ? null : Target(target, d.Duration, where, "'duration'");
        var success = d.Success is null ? null : Target(target, d.Success, where, "'success'");
        var stack = d.Stack is null ? null : Target(target, d.Stack, where, "'stack'");
        Expect(duration is null || duration.Kind is FieldKind.Duration, where, "'duration' must name a field of kind 'duration'");
        Expect(success is null || success.Kind is FieldKind.Bool, where, "'success' must name a field of kind 'bool'");
        Expect(stack is null || stack.Kind is FieldKind.Stack, where, "'stack' must name a field of kind 'stack'");
        Expect(d.Duration is null || type is ItemType.Span or ItemType.Request or ItemType.Dependency, where, "'duration' applies to spans, requests and dependencies");
        Expect(d.Success is null || type is ItemType.Span or ItemType.Request or ItemType.Dependency, where, "'success' applies to spans, requests and dependencies");
        Expect(d.Stack is null || type is ItemType.Exception, where, "'stack' applies to exceptions");
        return new ItemMapping(d.Name, target, fields, duration, success, stack);
    }

    private FieldDefinition? Target(EventDefinition target, string name, string where, string what)
    {
        var field = target.Find(name);
        if (field is null)
        {
            Error($"{where}: {what} maps to '{name}', which the event does not declare");
        }

        return field;
    }

    private static string ListName(ItemType type) => type switch
    {
        ItemType.Log => "logs",
        ItemType.Span => "spans",
        ItemType.Event => "events",
        ItemType.Request => "requests",
        ItemType.Dependency => "dependencies",
        _ => "exceptions",
    };

    private delegate EventDefinition? EventLookup(string name);
}
