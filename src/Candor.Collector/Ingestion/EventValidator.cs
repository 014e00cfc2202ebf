using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Candor.Collector.Products;
using Candor.Collector.Storage;
using Candor.Manifest;
using Candor.Protocol;

namespace Candor.Collector.Ingestion;

/// <summary>Why one event was refused: a stable reason and a sentence.</summary>
internal sealed record Refusal(string Reason, string Detail);

/// <summary>
/// Checks one event against the manifest revision it names, the second time after the SDK: every property and
/// measurement must be declared and hold a value of its kind, and the context must be plain, short and free of
/// anything that looks like a path or an address. Produces the event in canonical form, or the first problem.
/// The details name the event and field, never echo a refused value (it may be what should not have been sent).
/// </summary>
internal sealed partial class EventValidator(TimeProvider time)
{
    public const int MaxStackLength = 4096;
    private const double MaxDurationMs = 31L * 24 * 3600 * 1000;

    private static readonly HashSet<string> OsFamilies = new(["linux", "windows", "macos", "freebsd", "other"], StringComparer.Ordinal);
    private static readonly HashSet<string> Hosts = new(["process", "container", "notebook", "ci"], StringComparer.Ordinal);

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

        if (e.Verifier is not null && !VerifierPattern().IsMatch(e.Verifier))
        {
            return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}': 'verifier' must be 64 lower-case hex characters (SHA-256 of the install's deletion proof)");
        }

        if (CheckContext(e.Context) is { } contextProblem)
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

            var (values, problem) = CheckProperty(field, value);
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

            if (CheckMeasurement(field, value) is { } problem)
            {
                return Refuse(RejectionReasons.InvalidValue, $"event '{e.Name}', measurement '{name}' ({KindName(field.Kind)}): {problem}");
            }

            measurements.Add(new MeasurementValue(field, value));
        }

        var c = e.Context;
        var context = new EventContext(c.Version, c.Os, c.OsVersion, c.Arch, c.Runtime, c.Ci ?? "", c.Host, c.Container, c.Wsl, c.Interactive, country);
        return (new IncomingEvent(e.Id, e.Product, e.Revision, definition, e.Time.ToUniversalTime(), e.Install, e.Verifier is null ? null : Convert.FromHexString(e.Verifier), context, properties, measurements), null);
    }

    private static string? CheckContext(WireContext c) =>
        !VersionPattern().IsMatch(c.Version) ? "'version' must be a version such as 1.2.3 or 1.2.3-preview.1"
        : !OsFamilies.Contains(c.Os) ? "'os' must be linux, windows, macos, freebsd or other"
        : !OsVersionPattern().IsMatch(c.OsVersion) ? "'osVersion' must be up to 64 letters, digits, spaces, '.', '-', '_', '+' or parentheses"
        : !ShortNamePattern().IsMatch(c.Arch) ? "'arch' must be a short name such as x64"
        : !VersionPattern().IsMatch(c.Runtime) ? "'runtime' must be a version such as 8.0.11"
        : c.Ci is not null && !ShortNamePattern().IsMatch(c.Ci) ? "'ci' must be a short vendor name such as github-actions"
        : !Hosts.Contains(c.Host) ? "'host' must be process, container, notebook or ci"
        : null;

    private static (IReadOnlyList<string>? Values, string? Problem) CheckProperty(FieldDefinition field, JsonElement value)
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

            if (value.GetArrayLength() > field.MaxItems)
            {
                return (null, $"has more than the declared {field.MaxItems.ToString(CultureInfo.InvariantCulture)} items");
            }

            var items = new List<string>(value.GetArrayLength());
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var problem = item.ValueKind is JsonValueKind.String ? CheckScalar(field.Item!, item.GetString()!) : "must be a string";
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
        return CheckScalar(field, text) is { } scalarProblem ? (null, scalarProblem) : ([text], null);
    }

    private static string? CheckScalar(FieldDefinition field, string value) => field.Kind switch
    {
        FieldKind.Enum => field.Values.Contains(value, StringComparer.Ordinal) ? null : $"is not one of the declared values ({string.Join(", ", field.Values)})",
        FieldKind.Bucket => field.BucketLabels.Contains(value, StringComparer.Ordinal) ? null : $"is not one of the bucket labels ({string.Join(", ", field.BucketLabels)})",
        FieldKind.Hash => HashPattern().IsMatch(value) ? null : "must be a keyed hash: 32 lower-case hex characters",
        FieldKind.NameOrHash => field.Allow.Contains(value, StringComparer.Ordinal) || HashPattern().IsMatch(value)
            ? null
            : "must be an allowed name as declared or a keyed hash (32 lower-case hex characters)",
        FieldKind.Version => VersionPattern().IsMatch(value) ? null : "must be a version such as 1.2.3 or 1.2.3-preview.1",
        FieldKind.Stack => CheckStack(value),
        _ => $"kind {KindName(field.Kind)} cannot be a property value",
    };

    // A signature is one line of type and method names. A control character has no place in it, and NUL is more
    // than odd: PostgreSQL cannot store it in text, so it would fail the commit of every batch that shares it.
    private static string? CheckStack(string value) =>
        value.Length == 0 ? "must not be empty"
        : value.Length > MaxStackLength ? $"is longer than {MaxStackLength.ToString(CultureInfo.InvariantCulture)} characters"
        : value.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') >= 0 || value.AsSpan().IndexOfAnyInRange('\u007f', '\u009f') >= 0
            ? "must not hold control characters; send the scrubbed signature only"
        : LooksPersonal(value) ? "looks like it holds a path or an address; send the scrubbed signature only"
        : null;

    private static bool LooksPersonal(string value) =>
        value.Contains('@', StringComparison.Ordinal)
        || value.Contains("/home/", StringComparison.OrdinalIgnoreCase)
        || value.Contains("/Users/", StringComparison.OrdinalIgnoreCase)
        || value.Contains("\\Users\\", StringComparison.OrdinalIgnoreCase)
        || DrivePathPattern().IsMatch(value);

    private static string? CheckMeasurement(FieldDefinition field, double value)
    {
        if (!double.IsFinite(value))
        {
            return "must be a finite number";
        }

        if (field.Kind is FieldKind.Duration)
        {
            return value is < 0 or > MaxDurationMs ? "must be between 0 and 31 days, in milliseconds" : null;
        }

        return value < field.Minimum || value > field.Maximum
            ? $"must be between {field.Minimum?.ToString(CultureInfo.InvariantCulture)} and {field.Maximum?.ToString(CultureInfo.InvariantCulture)}"
            : null;
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

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex HashPattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex VerifierPattern();

    [GeneratedRegex(@"^[0-9]{1,9}(\.[0-9]{1,9}){0,3}(-[0-9A-Za-z.-]{1,40})?$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^[A-Za-z0-9 ._+()-]{0,64}$")]
    private static partial Regex OsVersionPattern();

    // Names, not free text: letters, digits and a few separators, no spaces, slashes or '@'.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex ShortNamePattern();

    [GeneratedRegex(@"(^|[^A-Za-z])[A-Za-z]:[\\/]")]
    private static partial Regex DrivePathPattern();
}
