using System.Globalization;
using System.Text.Json;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;
using Candor.Protocol;

namespace Candor.Collector.Ingestion;

/// <summary>Why one event was refused: a stable reason and a sentence.</summary>
internal sealed record Refusal(string Reason, string Detail);

/// <summary>
/// Checks one event against the manifest revision it names, the second time after the SDK: every property and
/// measurement must be declared and hold a value of its kind, and every value and context member must be in the
/// grammar the SDK writes it in (<see cref="PropertyGrammar"/>, <see cref="VersionGrammar"/>, <see cref="StackGrammar"/>,
/// <see cref="ContextGrammar"/>), already canonical, and a stack value may name only the namespaces its revision declares
/// and the framework's (<see cref="StackGrammar.CheckNamespaces"/>): the ingestion key ships in every build, so anyone can post to the
/// collector directly, and only the grammar keeps free text out of the store. Produces the event, or the first problem.
/// The details name the event and field, never echo a refused value (it may be what should not have been sent).
/// </summary>
internal sealed class EventValidator(TimeProvider time)
{
    /// <summary>The longest stack signature stored: <see cref="StackGrammar.MaxLength"/>.</summary>
    public const int MaxStackLength = StackGrammar.MaxLength;

    public (IncomingEvent? Event, Refusal? Refusal) Validate(WireEvent e, CatalogProduct product, string country, TimeSpan maxClockSkew)
    {
        if (e.Id == Guid.Empty || e.Install == Guid.Empty || e.Session == Guid.Empty)
        {
            return Refuse(RejectionReasons.Malformed, "'id', 'install' and 'session' must be non-empty UUIDs");
        }

        if (!string.Equals(e.Product, product.Record.Name, StringComparison.Ordinal))
        {
            return Refuse(RejectionReasons.WrongProduct, $"the event names a product other than the key's product '{product.Record.Name}'");
        }

        if (!product.Revisions.TryGetValue(e.Revision, out var manifest))
        {
            return Refuse(RejectionReasons.WrongProduct,
                $"manifest revision {e.Revision.ToString(CultureInfo.InvariantCulture)} of '{product.Record.Name}' is not registered (registered: {string.Join(", ", product.Revisions.Keys)})");
        }

        if (manifest.Find(e.Name) is not { } definition)
        {
            return Refuse(RejectionReasons.UndeclaredEvent, $"revision {e.Revision.ToString(CultureInfo.InvariantCulture)} declares no event named '{Shown(e.Name)}'");
        }

        var now = time.GetUtcNow();
        if (e.Time > now + maxClockSkew)
        {
            return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}': 'time' is in the future");
        }

        if (e.Time < now.AddMonths(-product.Record.RetentionMonths))
        {
            return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}': 'time' is older than the product keeps events ({product.Record.RetentionMonths.ToString(CultureInfo.InvariantCulture)} months)");
        }

        if (e.Verifier is not null && !PropertyGrammar.IsVerifier(e.Verifier))
        {
            return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}': '{WireNames.Verifier}' must be {PropertyGrammar.VerifierLength.ToString(CultureInfo.InvariantCulture)} lower-case hex characters (SHA-256 of the install's deletion proof)");
        }

        if (ContextGrammar.Check(e.Context) is { } contextProblem)
        {
            return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}': context {contextProblem}");
        }

        var properties = new List<PropertyValue>();
        foreach (var (name, value) in e.Properties ?? [])
        {
            var field = definition.Find(name);
            if (field is null)
            {
                return Refuse(RejectionReasons.UndeclaredProperty, $"event '{e.Name}' declares no property '{Shown(name)}'");
            }

            if (field.IsMeasurement)
            {
                return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}': '{name}' is a measurement; send it under 'measurements'");
            }

            var (values, problem) = CheckProperty(field, value, manifest.Namespaces);
            if (problem is not null)
            {
                return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}', property '{name}' ({KindName(field.Kind)}): {problem}");
            }

            properties.Add(new PropertyValue(field, values!));
        }

        var measurements = new List<MeasurementValue>();
        foreach (var (name, value) in e.Measurements ?? [])
        {
            var field = definition.Find(name);
            if (field is null)
            {
                return Refuse(RejectionReasons.UndeclaredProperty, $"event '{e.Name}' declares no measurement '{Shown(name)}'");
            }

            if (!field.IsMeasurement)
            {
                return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}': '{name}' is a property; send it under 'properties'");
            }

            if (PropertyGrammar.CheckMeasurement(field, value) is { } problem)
            {
                return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}', measurement '{name}' ({KindName(field.Kind)}): {problem}");
            }

            measurements.Add(new MeasurementValue(field, value));
        }

        var c = e.Context;
        var context = new EventContext(c.Version, c.Os, c.OsVersion, c.Arch, c.Runtime, c.Ci ?? "", c.Host, c.Container, c.Wsl, c.Interactive, country);
        return (new IncomingEvent(e.Id, e.Product, e.Revision, definition, e.Time.ToUniversalTime(), e.Install, e.Verifier is null ? null : Convert.FromHexString(e.Verifier), context, properties, measurements), null);
    }

    private static (IReadOnlyList<string>? Values, string? Problem) CheckProperty(FieldDefinition field, JsonElement value, IReadOnlyList<string> namespaces)
    {
        if (field.Kind is FieldKind.Bool)
        {
            return value.ValueKind switch
            {
                JsonValueKind.True => (["true"], null),
                JsonValueKind.False => (["false"], null),
                _ => (null, "must be true or false"),
            };
        }

        if (field.Kind is FieldKind.List)
        {
            if (value.ValueKind is not JsonValueKind.Array)
            {
                return (null, "must be an array");
            }

            if (PropertyGrammar.CheckItemCount(field, value.GetArrayLength()) is { } countProblem)
            {
                return (null, countProblem);
            }

            var items = new List<string>(value.GetArrayLength());
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var problem = item.ValueKind is JsonValueKind.String ? PropertyGrammar.CheckText(field.Item!, item.GetString()) : "must be a string";
                if (problem is not null)
                {
                    return (null, $"item {index.ToString(CultureInfo.InvariantCulture)} {problem}");
                }

                items.Add(item.GetString()!);
                index++;
            }

            return (items, null);
        }

        if (value.ValueKind is not JsonValueKind.String)
        {
            return (null, "must be a string");
        }

        var text = value.GetString()!;
        if (PropertyGrammar.CheckText(field, text) is { } scalarProblem)
        {
            return (null, scalarProblem);
        }

        // A frame-shaped name is not yet the product's frame: anyone can spell a user name as Sample.jsmith.Run.
        return field.Kind is FieldKind.Stack && StackGrammar.CheckNamespaces(text, namespaces) is { } originProblem ? (null, originProblem) : ([text], null);
    }

    private static string KindName(FieldKind kind) => kind switch
    {
        FieldKind.Enum => "enum",
        FieldKind.Bool => "bool",
        FieldKind.Number => "number",
        FieldKind.Duration => "duration",
        FieldKind.Bucket => "bucket",
        FieldKind.Hash => "hash",
        FieldKind.Version => "version",
        FieldKind.NameOrHash => "nameOrHash",
        FieldKind.List => "list",
        _ => "stack",
    };

    // Names come from the client and go into the detail; cut them so a detail never carries a long value back.
    private static string Shown(string name) => name.Length <= 64 ? name : name[..64] + "…";

    private static (IncomingEvent?, Refusal?) Refuse(string reason, string detail) => (null, new Refusal(reason, detail));
}
