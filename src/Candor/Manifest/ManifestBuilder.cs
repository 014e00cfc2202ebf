using System.Text.RegularExpressions;
using Candor.Protocol;

namespace Candor.Manifest;

// Turns a parsed manifest file into the checked model, collecting every problem before throwing once,
// so an author fixes a manifest in one pass instead of one error per build.
internal sealed partial class ManifestBuilder
{
    private const int DefaultRetentionMonths = 14;
    private const int DefaultMaxItems = 50;
    private const int MaxListItems = 1000;
    private const int MaxNamespaces = 32;

    private readonly List<string> _errors = [];

    public static TelemetryManifest Build(ManifestDocument document, string json, bool requireNamespaces)
    {
        var builder = new ManifestBuilder();
        var manifest = builder.BuildManifest(document, json, requireNamespaces);
        if (builder._errors.Count > 0)
        {
            throw new ManifestException(builder._errors);
        }

        return manifest;
    }

    private TelemetryManifest BuildManifest(ManifestDocument d, string json, bool requireNamespaces)
    {
        var product = d.Product ?? "";
        if (!IdPattern().IsMatch(product))
        {
            Error($"'product' must be 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (found '{product}')");
        }

        if (d.Revision < 1)
        {
            Error($"'revision' must be 1 or more (found {d.Revision})");
        }

        var consent = d.Consent switch
        {
            null or "opt-out" => ConsentModel.OptOut,
            "opt-in" => ConsentModel.OptIn,
            _ => Invalid(ConsentModel.OptOut, $"'consent' must be 'opt-out' or 'opt-in' (found '{d.Consent}')"),
        };

        var ci = d.Ci switch
        {
            null or "tag" => CiPolicy.Tag,
            "suppress" => CiPolicy.Suppress,
            _ => Invalid(CiPolicy.Tag, $"'ci' must be 'tag' or 'suppress' (found '{d.Ci}')"),
        };

        if (string.IsNullOrWhiteSpace(d.Disclosure?.Text))
        {
            Error("'disclosure.text' is required: users must be told what is collected and how to opt out");
        }

        if (d.Disclosure is { Version: < 1 })
        {
            Error($"'disclosure.version' must be 1 or more (found {d.Disclosure.Version})");
        }

        var retention = d.RetentionMonths ?? DefaultRetentionMonths;
        if (retention is < 1 or > 120)
        {
            Error($"'retentionMonths' must be between 1 and 120 (found {retention})");
        }

        var variables = d.OptOut?.EnvironmentVariables ?? [];
        foreach (var variable in variables.Where(v => !VariablePattern().IsMatch(v)))
        {
            Error($"opt-out environment variable '{variable}' is not a valid variable name (letters, digits and '_')");
        }

        var flags = d.OptOut?.Flags ?? [];
        foreach (var flag in flags.Where(f => !FlagPattern().IsMatch(f)))
        {
            Error($"opt-out flag '{flag}' must look like '--name' or '-name'");
        }

        var events = new List<EventDefinition>();
        var eventNames = new HashSet<string>(StringComparer.Ordinal);
        if (d.Events is null || d.Events.Count == 0)
        {
            Error("'events' must declare at least one event");
        }

        var declared = d.Events ?? [];
        for (var i = 0; i < declared.Count; i++)
        {
            var e = declared[i];
            var where = e.Name is null ? $"event #{i + 1}" : $"event '{e.Name}'";
            if (e.Name is null || !IdPattern().IsMatch(e.Name))
            {
                Error($"{where}: the name must be 1-64 lower-case letters, digits, '.', '_' or '-'");
            }
            else if (!eventNames.Add(e.Name))
            {
                Error($"{where}: declared twice");
            }

            events.Add(BuildEvent(e, where));
        }

        var namespaces = d.Namespaces ?? [];
        BuildNamespaces(namespaces, requireNamespaces && events.Any(e => e.Fields.Any(f => f.Kind is FieldKind.Stack)));
        var mappings = BuildMappings(d.Mappings, name => events.Find(e => string.Equals(e.Name, name, StringComparison.Ordinal)));

        return new TelemetryManifest(
            product,
            string.IsNullOrWhiteSpace(d.Name) ? product : d.Name,
            d.Revision,
            consent,
            d.Disclosure?.Version ?? 1,
            d.Disclosure?.Text?.TrimEnd() ?? "",
            variables,
            flags,
            retention,
            ci,
            d.Contact,
            d.NeverCollected ?? [],
            namespaces,
            () => new ManifestBody(events, mappings, json));
    }

    // The product's code namespaces: what a stack signature may name besides the framework's exception types.
    private void BuildNamespaces(List<string> namespaces, bool required)
    {
        if (required && namespaces.Count == 0)
        {
            Error("'namespaces' is required when an event declares a 'stack' field: list the product's own code namespaces (e.g. [\"Kmpkg\"]; \"Program\" for top-level statements), the only ones a stack signature may name");
        }

        if (namespaces.Count > MaxNamespaces)
        {
            Error($"'namespaces' lists more than {MaxNamespaces} namespaces");
        }

        foreach (var name in namespaces.Where(n => !NamespacePattern().IsMatch(n)))
        {
            Error($"namespace '{name}' must be a dotted name of identifiers (letters, digits and '_', not starting with a digit, at most {StackGrammar.MaxIdentifier} characters each and {StackGrammar.MaxSegments} in all), such as 'Kmpkg.Cli'");
        }

        if (new HashSet<string>(namespaces, StringComparer.Ordinal).Count != namespaces.Count)
        {
            Error("'namespaces' lists a namespace twice");
        }
    }

    private EventDefinition BuildEvent(EventDocument e, string where)
    {
        if (string.IsNullOrWhiteSpace(e.Description))
        {
            Error($"{where}: 'description' is required");
        }

        if (string.IsNullOrWhiteSpace(e.Purpose))
        {
            Error($"{where}: 'purpose' is required: say why the product team needs this event");
        }

        var level = e.Level switch
        {
            null or "usage" => EventLevel.Usage,
            "error" => EventLevel.Error,
            _ => Invalid(EventLevel.Usage, $"{where}: 'level' must be 'usage' or 'error' (found '{e.Level}')"),
        };

        var fields = new List<FieldDefinition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in e.Properties ?? [])
        {
            fields.Add(BuildTopField(p, where, measurement: false, names));
        }

        foreach (var m in e.Measurements ?? [])
        {
            fields.Add(BuildTopField(m, where, measurement: true, names));
        }

        return new EventDefinition(e.Name ?? "", e.Description ?? "", e.Purpose ?? "", level, fields);
    }

    private FieldDefinition BuildTopField(FieldDocument f, string eventWhere, bool measurement, HashSet<string> names)
    {
        var section = measurement ? "measurement" : "property";
        var where = $"{eventWhere}, {section} '{f.Name}'";
        if (f.Name is null || !FieldPattern().IsMatch(f.Name))
        {
            Error($"{eventWhere}, {section} '{f.Name}': the name must be 1-64 letters, digits, '_', '.' or '-', starting with a letter");
        }
        else if (!names.Add(f.Name))
        {
            Error($"{where}: declared twice in this event");
        }

        if (string.IsNullOrWhiteSpace(f.Description))
        {
            Error($"{where}: 'description' is required");
        }

        var field = BuildField(f, where);
        if (measurement != field.IsMeasurement && f.Kind is not null && ParseKind(f.Kind) is not null)
        {
            Error(measurement
                ? $"{where}: kind '{f.Kind}' is not a measurement; declare it under 'properties' (measurements are 'number' or 'duration')"
                : $"{where}: kind '{f.Kind}' is a measurement; declare it under 'measurements'");
        }

        return field;
    }

    private FieldDefinition BuildField(FieldDocument f, string where)
    {
        var kind = ParseKind(f.Kind);
        if (kind is null)
        {
            Error($"{where}: unknown kind '{f.Kind}' (expected enum, bool, number, duration, bucket, hash, version, nameOrHash, list or stack; there is no free-form string kind)");
            kind = FieldKind.Bool;
        }

        var values = f.Values ?? [];
        var boundaries = f.Boundaries ?? [];
        var allow = f.Allow ?? [];
        FieldDefinition? item = null;
        var maxItems = 0;

        Expect(kind == FieldKind.Enum || f.Values is null, where, "'values' only applies to kind 'enum'");
        Expect(kind is FieldKind.Bucket || f.Boundaries is null, where, "'boundaries' only applies to kind 'bucket'");
        Expect(kind is FieldKind.NameOrHash || f.Allow is null, where, "'allow' only applies to kind 'nameOrHash'");
        Expect(kind is FieldKind.Number || (f.Minimum is null && f.Maximum is null), where, "'minimum' and 'maximum' only apply to kind 'number'");
        Expect(kind is FieldKind.List || (f.Item is null && f.MaxItems is null), where, "'item' and 'maxItems' only apply to kind 'list'");

        switch (kind)
        {
            case FieldKind.Enum:
                Expect(values.Count > 0, where, "kind 'enum' needs a non-empty 'values' list");
                Expect(new HashSet<string>(values, StringComparer.Ordinal).Count == values.Count, where, "'values' lists a value twice");
                foreach (var v in values.Where(v => !EnumValuePattern().IsMatch(v)))
                {
                    Error($"{where}: enum value '{v}' must be 1-64 characters of letters, digits, '.', '_', '-', '/', '+' or ':'");
                }

                break;
            case FieldKind.Number:
                Expect(!string.IsNullOrWhiteSpace(f.Unit), where, "kind 'number' needs a 'unit'");
                Expect(f.Minimum is not null && f.Maximum is not null, where, "kind 'number' needs 'minimum' and 'maximum'");
                Expect(f.Minimum is null || f.Maximum is null || f.Minimum <= f.Maximum, where, "'minimum' is larger than 'maximum'");
                break;
            case FieldKind.Bucket:
                Expect(boundaries.Length > 0, where, "kind 'bucket' needs a non-empty 'boundaries' list");
                Expect(IsStrictlyAscending(boundaries), where, "'boundaries' must be strictly ascending");
                Expect(AreFinite(boundaries), where, "'boundaries' must be finite numbers");
                break;
            case FieldKind.NameOrHash:
                Expect(allow.Count > 0, where, "kind 'nameOrHash' needs an 'allow' list (use kind 'hash' when no name may be sent verbatim)");
                Expect(new HashSet<string>(allow, StringComparer.OrdinalIgnoreCase).Count == allow.Count, where, "'allow' lists a name twice (names match in any case)");
                foreach (var a in allow.Where(a => !EnumValuePattern().IsMatch(a) || HashPattern().IsMatch(a)))
                {
                    Error($"{where}: allowed name '{a}' must be 1-64 characters of letters, digits, '.', '_', '-', '/', '+' or ':' and must not look like a hash");
                }

                break;
            case FieldKind.List:
                maxItems = f.MaxItems ?? DefaultMaxItems;
                Expect(maxItems is >= 1 and <= MaxListItems, where, $"'maxItems' must be between 1 and {MaxListItems}");
                if (f.Item is null)
                {
                    Error($"{where}: kind 'list' needs an 'item' that says the kind of each item");
                }
                else
                {
                    item = BuildField(f.Item, where + " item");
                    Expect(item.Kind is FieldKind.Enum or FieldKind.Bucket or FieldKind.Hash or FieldKind.Version or FieldKind.NameOrHash, where,
                        $"a list item cannot be of kind '{f.Item.Kind}' (allowed: enum, bucket, hash, version, nameOrHash)");
                }

                break;
        }

        return new FieldDefinition(f.Name ?? "", kind.Value, f.Description ?? "", values, f.Unit, f.Minimum, f.Maximum, boundaries, allow, item, maxItems);
    }

    // Loops rather than LINQ's Zip and All: those are generic over double, which ReadyToRun cannot precompile,
    // and the manifest is checked at every start-up, telemetry off included.
    private static bool IsStrictlyAscending(double[] values)
    {
        for (var i = 1; i < values.Length; i++)
        {
            if (!(values[i - 1] < values[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool AreFinite(double[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                return false;
            }
        }

        return true;
    }

    internal static FieldKind? ParseKind(string? kind) => kind switch
    {
        "enum" => FieldKind.Enum,
        "bool" => FieldKind.Bool,
        "number" => FieldKind.Number,
        "duration" => FieldKind.Duration,
        "bucket" => FieldKind.Bucket,
        "hash" => FieldKind.Hash,
        "version" => FieldKind.Version,
        "nameOrHash" => FieldKind.NameOrHash,
        "list" => FieldKind.List,
        "stack" => FieldKind.Stack,
        _ => null,
    };

    private void Expect(bool condition, string where, string problem)
    {
        if (!condition)
        {
            Error($"{where}: {problem}");
        }
    }

    private void Error(string message) => _errors.Add(message);

    private T Invalid<T>(T fallback, string message)
    {
        Error(message);
        return fallback;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    internal static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex FieldPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariablePattern();

    [GeneratedRegex("^--?[A-Za-z][A-Za-z0-9-]*$")]
    private static partial Regex FlagPattern();

    [GeneratedRegex("^[A-Za-z0-9._/+:-]{1,64}$")]
    private static partial Regex EnumValuePattern();

    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]{0,79}(\.[A-Za-z_][A-Za-z0-9_]{0,79}){0,9}\z")]
    private static partial Regex NamespacePattern();

    [GeneratedRegex("^[0-9a-f]{32}$")]
    internal static partial Regex HashPattern();
}
