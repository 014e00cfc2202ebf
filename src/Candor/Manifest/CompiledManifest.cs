using System.Text;

namespace Candor.Manifest;

/// <summary>
/// The checked manifest in a form a tool reads at start without parsing or checking anything: the build compiles the
/// manifest file into it (<c>candor-manifest</c>, run by the package's build targets) and embeds it beside the file,
/// which stays the one source of truth. Reading the JSON and checking it took most of what a tool with telemetry off
/// spent in Candor (the JSON reader's assembly and types, the builder's patterns; see docs/benchmarks.md, "SDK: exit
/// time"); this form is a few strings and numbers read with a <see cref="BinaryReader"/>, and a wrong manifest
/// now fails the build instead of the tool's first run.
/// </summary>
/// <remarks>
/// It is written from the checked model, never from the file, so whatever the model holds is what the tool gets. A
/// tool built by another version of Candor carries another layout: <see cref="TryRead"/> then returns null and the
/// SDK reads the JSON as before.
/// </remarks>
internal static class CompiledManifest
{
    /// <summary>The logical name under which the build embeds the compiled manifest.</summary>
    public const string ResourceName = "candor.manifest.bin";

    // Raised with every change to the layout below.
    private const int Layout = 2;

    private static ReadOnlySpan<byte> Magic => "CANDOR-MANIFEST\n"u8;

    /// <summary>The compiled form of <paramref name="manifest"/>.</summary>
    public static byte[] Write(TelemetryManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Layout);
            writer.Write(manifest.Product);
            writer.Write(manifest.Name);
            writer.Write(manifest.Revision);
            writer.Write((int)manifest.Consent);
            writer.Write(manifest.DisclosureVersion);
            writer.Write(manifest.DisclosureText);
            WriteStrings(writer, manifest.OptOutEnvironmentVariables);
            WriteStrings(writer, manifest.OptOutFlags);
            writer.Write(manifest.RetentionMonths);
            writer.Write((int)manifest.Ci);
            WriteOptional(writer, manifest.Contact);
            WriteStrings(writer, manifest.NeverCollected);
            WriteStrings(writer, manifest.Namespaces);
            writer.Write(manifest.Events.Count);
            foreach (var e in manifest.Events)
            {
                writer.Write(e.Name);
                writer.Write(e.Description);
                writer.Write(e.Purpose);
                writer.Write((int)e.Level);
                writer.Write(e.Fields.Count);
                foreach (var field in e.Fields)
                {
                    WriteField(writer, field);
                }
            }

            writer.Write(manifest.Mappings is not null);
            if (manifest.Mappings is { } mappings)
            {
                WriteDoor(writer, manifest, mappings.Otlp);
                WriteDoor(writer, manifest, mappings.ApplicationInsights);
            }

            writer.Write(manifest.Json);
        }

        return stream.ToArray();
    }

    /// <summary>
    /// The manifest from its compiled form, or null when the form was written by another version of Candor, or is not
    /// one at all (the caller then reads the manifest file).
    /// </summary>
    public static TelemetryManifest? TryRead(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            return Read(stream);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static TelemetryManifest? Read(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        Span<byte> magic = stackalloc byte[Magic.Length];
        if (reader.Read(magic) != magic.Length || !magic.SequenceEqual(Magic) || reader.ReadInt32() != Layout)
        {
            return null;
        }

        var product = reader.ReadString();
        var name = reader.ReadString();
        var revision = reader.ReadInt32();
        var consent = (ConsentModel)reader.ReadInt32();
        var disclosureVersion = reader.ReadInt32();
        var disclosureText = reader.ReadString();
        var variables = ReadStrings(reader);
        var flags = ReadStrings(reader);
        var retention = reader.ReadInt32();
        var ci = (CiPolicy)reader.ReadInt32();
        var contact = ReadOptional(reader);
        var neverCollected = ReadStrings(reader);
        var namespaces = ReadStrings(reader);
        var events = new EventDefinition[reader.ReadInt32()];
        for (var i = 0; i < events.Length; i++)
        {
            var eventName = reader.ReadString();
            var description = reader.ReadString();
            var purpose = reader.ReadString();
            var level = (EventLevel)reader.ReadInt32();
            var fields = new FieldDefinition[reader.ReadInt32()];
            for (var j = 0; j < fields.Length; j++)
            {
                fields[j] = ReadField(reader);
            }

            events[i] = new EventDefinition(eventName, description, purpose, level, fields);
        }

        var mappings = reader.ReadBoolean() ? new ManifestMappings(ReadDoor(reader, events), ReadDoor(reader, events)) : null;
        var json = reader.ReadString();
        return new TelemetryManifest(product, name, revision, consent, disclosureVersion, disclosureText, variables, flags, retention, ci, contact, neverCollected, namespaces, events, mappings, json);
    }

    // A rule names its event by its place in the manifest and each field by its name in that event.
    private static void WriteDoor(BinaryWriter writer, TelemetryManifest manifest, DoorMapping? door)
    {
        writer.Write(door is not null);
        if (door is null)
        {
            return;
        }

        writer.Write(door.Install);
        writer.Write(door.Rules.Count);
        foreach (var (type, rules) in door.Rules)
        {
            writer.Write((int)type);
            writer.Write(rules.Count);
            foreach (var rule in rules)
            {
                WriteOptional(writer, rule.Name);
                writer.Write(IndexOf(manifest.Events, rule.Event));
                writer.Write(rule.Fields.Count);
                foreach (var (source, field) in rule.Fields)
                {
                    writer.Write(source);
                    writer.Write(field.Name);
                }

                WriteOptional(writer, rule.Duration?.Name);
                WriteOptional(writer, rule.Success?.Name);
                WriteOptional(writer, rule.Stack?.Name);
            }
        }

        static int IndexOf(IReadOnlyList<EventDefinition> events, EventDefinition target)
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (ReferenceEquals(events[i], target))
                {
                    return i;
                }
            }

            throw new InvalidOperationException($"the mapping's event '{target.Name}' is not one of the manifest's events");
        }
    }

    private static DoorMapping? ReadDoor(BinaryReader reader, EventDefinition[] events)
    {
        if (!reader.ReadBoolean())
        {
            return null;
        }

        var install = reader.ReadString();
        var rules = new Dictionary<ItemType, IReadOnlyList<ItemMapping>>();
        for (var types = reader.ReadInt32(); types > 0; types--)
        {
            var type = (ItemType)reader.ReadInt32();
            var list = new ItemMapping[reader.ReadInt32()];
            for (var i = 0; i < list.Length; i++)
            {
                var name = ReadOptional(reader);
                var target = events[reader.ReadInt32()];
                var fields = new KeyValuePair<string, FieldDefinition>[reader.ReadInt32()];
                for (var j = 0; j < fields.Length; j++)
                {
                    var source = reader.ReadString();
                    fields[j] = new(source, Field(target, reader.ReadString()));
                }

                var duration = ReadOptional(reader) is { } d ? Field(target, d) : null;
                var success = ReadOptional(reader) is { } s ? Field(target, s) : null;
                var stack = ReadOptional(reader) is { } k ? Field(target, k) : null;
                list[i] = new ItemMapping(name, target, fields, duration, success, stack);
            }

            rules[type] = list;
        }

        return new DoorMapping(install, rules);

        static FieldDefinition Field(EventDefinition e, string name) =>
            e.Find(name) ?? throw new InvalidDataException($"the compiled manifest maps to '{name}', which event '{e.Name}' does not declare");
    }

    private static void WriteField(BinaryWriter writer, FieldDefinition field)
    {
        writer.Write(field.Name);
        writer.Write((int)field.Kind);
        writer.Write(field.Description);
        WriteStrings(writer, field.Values);
        WriteOptional(writer, field.Unit);
        WriteOptional(writer, field.Minimum);
        WriteOptional(writer, field.Maximum);
        writer.Write(field.Boundaries.Count);
        foreach (var boundary in field.Boundaries)
        {
            writer.Write(boundary);
        }

        WriteStrings(writer, field.Allow);
        writer.Write(field.Item is not null);
        if (field.Item is { } item)
        {
            WriteField(writer, item);
        }

        writer.Write(field.MaxItems);
    }

    private static FieldDefinition ReadField(BinaryReader reader)
    {
        var name = reader.ReadString();
        var kind = (FieldKind)reader.ReadInt32();
        var description = reader.ReadString();
        var values = ReadStrings(reader);
        var unit = ReadOptional(reader);
        var minimum = ReadOptionalNumber(reader);
        var maximum = ReadOptionalNumber(reader);
        var boundaries = new double[reader.ReadInt32()];
        for (var i = 0; i < boundaries.Length; i++)
        {
            boundaries[i] = reader.ReadDouble();
        }

        var allow = ReadStrings(reader);
        var item = reader.ReadBoolean() ? ReadField(reader) : null;
        var maxItems = reader.ReadInt32();
        return new FieldDefinition(name, kind, description, values, unit, minimum, maximum, boundaries, allow, item, maxItems);
    }

    private static void WriteStrings(BinaryWriter writer, IReadOnlyList<string> values)
    {
        writer.Write(values.Count);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    private static string[] ReadStrings(BinaryReader reader)
    {
        var values = new string[reader.ReadInt32()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadString();
        }

        return values;
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static void WriteOptional(BinaryWriter writer, double? value)
    {
        writer.Write(value.HasValue);
        if (value.HasValue)
        {
            writer.Write(value.GetValueOrDefault());
        }
    }

    private static double? ReadOptionalNumber(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadDouble() : null;
}
