using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Candor.Collector.Ingestion;
using Candor.Manifest;
using Candor.Protocol;

namespace Candor.Collector.Interop;

/// <summary>
/// Writes a foreign item as the native wire event its mapping rule makes of it, so that it then passes the same
/// <see cref="IngestionPipeline"/> (and <see cref="EventValidator"/>) as the SDK's events. Only mapped attributes are
/// written, each with its field's transform as the SDK applies it (a bucket label for a number, an allowed name in its
/// declared casing, a normalized version, a scrubbed stack signature); a value that the transform cannot make safe is
/// written as sent, for the validator to refuse, and is never stored. A hash cannot be made here: the keyed hashes use
/// a secret only the install holds, so a mapping cannot name a hash field and a nameOrHash field keeps allowed names only.
/// </summary>
internal static class WireTranslator
{
    /// <summary>
    /// Writes the event for <paramref name="item"/> under <paramref name="rule"/> of <paramref name="manifest"/>, or
    /// returns why the item cannot become an event (then nothing is written). <paramref name="undeclared"/> counts the
    /// attributes dropped because no rule maps them.
    /// </summary>
    public static Refusal? Write(Utf8JsonWriter w, ForeignItem item, ItemMapping rule, TelemetryManifest manifest, string installAttribute, DateTimeOffset received, out int undeclared)
    {
        undeclared = 0;
        if (!Guid.TryParse(item.Context.Attribute(installAttribute), out var install) || install == Guid.Empty)
        {
            return new Refusal(RejectionReasons.Malformed, $"the item carries no install ID: '{installAttribute}' must hold a random UUID");
        }

        // Measurements are read first: a refusal must come before anything of the item is written.
        var measurements = new List<KeyValuePair<FieldDefinition, double>>();
        var used = 0;
        foreach (var (source, field) in rule.Fields)
        {
            if (field.IsMeasurement && TryFind(item.Attributes, source, out var value))
            {
                if (Number(value) is not { } number)
                {
                    return new Refusal(RejectionReasons.InvalidValue, $"event '{rule.Event.Name}', measurement '{field.Name}': attribute '{source}' is not a number");
                }

                measurements.Add(new(field, number));
                used++;
            }
        }

        w.WriteStartObject();
        w.WriteString(WireNames.Id, IdOf(item.Digest));
        w.WriteString(WireNames.Name, rule.Event.Name);
        w.WriteString(WireNames.Time, item.Time ?? received);
        w.WriteString(WireNames.Product, manifest.Product);
        w.WriteNumber(WireNames.Revision, manifest.Revision);
        w.WriteString(WireNames.Install, install);

        // The session is not stored; a foreign client has none of Candor's, and the install stands in for it.
        w.WriteString(WireNames.Session, install);
        WriteContext(w, item.Context);
        w.WriteStartObject(WireNames.Properties);
        foreach (var (source, field) in rule.Fields)
        {
            if (!field.IsMeasurement && TryFind(item.Attributes, source, out var value))
            {
                used++;
                WriteProperty(w, field, value);
            }
        }

        if (rule.Success is { } success && item.Success is { } succeeded)
        {
            w.WriteBoolean(success.Name, succeeded);
        }

        if (rule.Stack is { } stack && Signature(item, manifest.Namespaces) is { } signature)
        {
            w.WriteString(stack.Name, signature);
        }

        w.WriteEndObject();
        w.WriteStartObject(WireNames.Measurements);
        foreach (var (field, number) in measurements)
        {
            w.WriteNumber(field.Name, number);
        }

        if (rule.Duration is { } duration && item.DurationMilliseconds is { } milliseconds)
        {
            w.WriteNumber(duration.Name, milliseconds);
        }

        w.WriteEndObject();
        w.WriteEndObject();
        undeclared = item.Attributes.Count - used;
        return null;
    }

    // A version 4-shaped UUID from the item's digest: the same item sent again has the same ID, and is stored once.
    private static Guid IdOf(byte[] digest)
    {
        Span<byte> bytes = stackalloc byte[16];
        digest.AsSpan(0, 16).CopyTo(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    /// <summary>A digest of an item's bytes within its <paramref name="scope"/> (the door and what the item shares with its batch), for <see cref="ForeignItem.Digest"/>.</summary>
    public static byte[] Digest(ReadOnlySpan<byte> scope, ReadOnlySpan<byte> item)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(scope);
        hash.AppendData(item);
        return hash.GetHashAndReset();
    }

    private static void WriteContext(Utf8JsonWriter w, ForeignContext c)
    {
        w.WriteStartObject(WireNames.Context);
        w.WriteString(WireNames.ContextMembers.Version, VersionGrammar.Normalize(c.Version) ?? "0");
        w.WriteString(WireNames.ContextMembers.Os, OsFamily(c.Os));
        w.WriteString(WireNames.ContextMembers.OsVersion, ContextGrammar.NormalizeOsVersion(c.OsVersion) ?? "0");
        w.WriteString(WireNames.ContextMembers.Arch, ContextGrammar.NormalizeArch(c.Arch switch { "amd64" or "x86_64" => "x64", "arm32" => "arm", "ppc64" => "ppc64le", _ => c.Arch }));
        w.WriteString(WireNames.ContextMembers.Runtime, ContextGrammar.NormalizeRuntime(c.Runtime) ?? "0");
        w.WriteBoolean(WireNames.ContextMembers.Container, false);
        w.WriteBoolean(WireNames.ContextMembers.Wsl, false);
        w.WriteBoolean(WireNames.ContextMembers.Interactive, false);
        w.WriteString(WireNames.ContextMembers.Host, "process");
        w.WriteEndObject();
    }

    // OpenTelemetry's os.type values (and Application Insights' OS descriptions) to Candor's OS families.
    private static string OsFamily(string? os)
    {
        var lower = os?.ToLowerInvariant() ?? "";
        return lower switch
        {
            "linux" or "windows" or "freebsd" or "macos" => lower,
            "darwin" => "macos",
            _ when lower.Contains("windows", StringComparison.Ordinal) => "windows",
            _ when lower.Contains("linux", StringComparison.Ordinal) || lower.StartsWith("unix", StringComparison.Ordinal) => "linux",
            _ when lower.Contains("darwin", StringComparison.Ordinal) || lower.Contains("mac", StringComparison.Ordinal) => "macos",
            _ => "other",
        };
    }

    private static void WriteProperty(Utf8JsonWriter w, FieldDefinition field, ForeignValue value)
    {
        switch (field.Kind)
        {
            case FieldKind.Bool when value.Bool is { } b:
                w.WriteBoolean(field.Name, b);
                break;
            case FieldKind.Bool when value.Text is "true" or "false":
                w.WriteBoolean(field.Name, value.Text == "true");
                break;
            case FieldKind.List:
                w.WriteStartArray(field.Name);
                foreach (var item in value.Items ?? (value.AsText() is { } single ? [single] : []))
                {
                    w.WriteStringValue(Transform(field.Item!, ForeignValue.Of(item)) ?? item);
                }

                w.WriteEndArray();
                break;
            default:
                // A value the transform cannot make safe goes on as sent: the validator refuses the event with the
                // field's reason, and the value is not stored.
                w.WriteString(field.Name, Transform(field, value) ?? value.AsText() ?? "");
                break;
        }
    }

    private static string? Transform(FieldDefinition field, ForeignValue value)
    {
        var text = value.AsText();
        return field.Kind switch
        {
            FieldKind.Bucket => Number(value) is { } number ? field.BucketOf(number) : null,
            FieldKind.Version => VersionGrammar.Normalize(text),
            // Only an allowed name: a hash the client made is not keyed by an install's secret and could be reversed
            // with a dictionary, so anything else becomes a value the validator refuses.
            FieldKind.NameOrHash => text is null ? null : field.AllowedName(text) ?? "",
            _ => text,
        };
    }

    private static double? Number(ForeignValue value) =>
        value.Number ?? (double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null);

    // The exception's signature as the SDK makes it: exception types of the framework or of the product's own
    // namespaces by name, others [external]; frames of the product's own namespaces by name, others [external].
    private static string? Signature(ForeignItem item, IReadOnlyList<string> namespaces)
    {
        var types = item.ExceptionTypes.Select(StackGrammar.NormalizeName).Select(t =>
            t is not null && (StackGrammar.IsInNamespaces(t, namespaces) || StackGrammar.IsInNamespaces(t, StackGrammar.FrameworkNamespaces)) ? t : StackGrammar.ExternalType);
        var frames = item.Frames.Select(StackGrammar.NormalizeName).Select(f =>
            f is not null && StackGrammar.IsInNamespaces(f, namespaces) ? f : StackGrammar.ExternalFrame);
        return StackGrammar.Compose(types, frames);
    }

    private static bool TryFind(List<KeyValuePair<string, ForeignValue>> attributes, string name, out ForeignValue value)
    {
        foreach (var (key, candidate) in attributes)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }
}
