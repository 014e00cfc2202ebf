using System.Text;

namespace Candor.Manifest;

/// <summary>
/// The checked manifest in a form a tool reads at start without parsing or checking anything: the build compiles the
/// manifest file into it (<c>candor-manifest</c>, run by the package's build targets) and embeds it beside the file,
/// which stays the one source of truth. Reading the JSON and checking it took most of what a tool with telemetry off
/// spent in Candor (the JSON reader's assembly and types, the builder's patterns; see docs/benchmarks.md, "SDK: exit
/// time"); this form is a few strings and numbers read straight from the bytes (<see cref="CompiledReader"/>), and only
/// its head (what deciding consent needs) at start; the events are read by the first run that records. A wrong manifest
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
    private const int Layout = 4;

    // "CANDOR-MANIFEST\n" as two little-endian numbers: a UTF-8 literal would make every off run load the assembly's
    // table of constant data, and with it a type for each size of constant the assembly holds.
    private const ulong MagicStart = 0x4D2D524F444E4143; // "CANDOR-M"
    private const ulong MagicEnd = 0x0A54534546494E41; // "ANIFEST\n"

    /// <summary>The compiled form of <paramref name="manifest"/>, with what its build knew about itself when the build gives it.</summary>
    public static byte[] Write(TelemetryManifest manifest, BuildFacts? facts = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(MagicStart);
            writer.Write(MagicEnd);
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
            writer.Write(facts is not null);
            if (facts is not null)
            {
                WriteOptional(writer, facts.Version);
                WriteOptional(writer, facts.IngestionKey);
                WriteOptional(writer, facts.Endpoint);
            }

            var body = WriteBody(manifest);
            writer.Write(body.Length);
            writer.Write(body);
        }

        return stream.ToArray();
    }

    // The events, the mappings and the file's text: what only a run that records or registers reads.
    private static byte[] WriteBody(TelemetryManifest manifest)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
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

    /// <summary>Whether <paramref name="assembly"/> embeds a compiled manifest (which its build checked), without reading it.</summary>
    public static bool IsEmbedded(System.Reflection.Assembly assembly) => assembly.GetManifestResourceInfo(ResourceName) is not null;

    /// <summary>
    /// The manifest from its compiled form, or null when the form was written by another version of Candor, or is not
    /// one at all (the caller then reads the manifest file).
    /// </summary>
    public static TelemetryManifest? TryRead(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            var bytes = new byte[stream.Length - stream.Position];
            stream.ReadExactly(bytes);
            return Read(bytes);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            return null;
        }
    }

    // The head is read now: it is all that deciding consent needs, and a run that is off reads nothing else. The body
    // (events, mappings, the file's text) is read when the manifest is first asked for one of them; its length is
    // checked now, so a cut form is refused here as a wrong one is.
    private static TelemetryManifest? Read(byte[] bytes)
    {
        var reader = new CompiledReader(bytes);
        if (bytes.Length < 2 * sizeof(ulong) || reader.ReadUInt64() != MagicStart || reader.ReadUInt64() != MagicEnd || reader.ReadInt32() != Layout)
        {
            return null;
        }

        var product = reader.ReadString();
        var name = reader.ReadString();
        var revision = reader.ReadInt32();
        var consent = (ConsentModel)reader.ReadInt32();
        var disclosureVersion = reader.ReadInt32();
        var disclosureText = reader.ReadString();
        var variables = ReadStrings(ref reader);
        var flags = ReadStrings(ref reader);
        var retention = reader.ReadInt32();
        var ci = (CiPolicy)reader.ReadInt32();
        var contact = ReadOptional(ref reader);
        var neverCollected = ReadStrings(ref reader);
        var namespaces = ReadStrings(ref reader);
        var facts = reader.ReadBoolean() ? new BuildFacts(ReadOptional(ref reader), ReadOptional(ref reader), ReadOptional(ref reader)) : null;
        var bodyLength = reader.ReadInt32();
        var bodyStart = reader.Position;
        if (bodyLength != bytes.Length - bodyStart)
        {
            throw new EndOfStreamException($"the compiled manifest's body is {bytes.Length - bodyStart} bytes, not {bodyLength}");
        }

        return new TelemetryManifest(product, name, revision, consent, disclosureVersion, disclosureText, variables, flags, retention, ci, contact, neverCollected, namespaces, () => ReadBody(bytes, bodyStart))
        {
            Build = facts,
        };
    }

    /// <exception cref="EndOfStreamException">The body is cut short.</exception>
    /// <exception cref="InvalidDataException">The body is not one this layout writes.</exception>
    private static ManifestBody ReadBody(byte[] bytes, int start)
    {
        var reader = new CompiledReader(bytes, start);
        var events = new EventDefinition[reader.ReadCount()];
        for (var i = 0; i < events.Length; i++)
        {
            var eventName = reader.ReadString();
            var description = reader.ReadString();
            var purpose = reader.ReadString();
            var level = (EventLevel)reader.ReadInt32();
            var fields = new FieldDefinition[reader.ReadCount()];
            for (var j = 0; j < fields.Length; j++)
            {
                fields[j] = ReadField(ref reader);
            }

            events[i] = new EventDefinition(eventName, description, purpose, level, fields);
        }

        var mappings = reader.ReadBoolean() ? new ManifestMappings(ReadDoor(ref reader, events), ReadDoor(ref reader, events)) : null;
        var json = reader.ReadString();
        return new ManifestBody(events, mappings, json);
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

    private static DoorMapping? ReadDoor(ref CompiledReader reader, EventDefinition[] events)
    {
        if (!reader.ReadBoolean())
        {
            return null;
        }

        var install = reader.ReadString();
        var rules = new Dictionary<ItemType, IReadOnlyList<ItemMapping>>();
        for (var types = reader.ReadCount(); types > 0; types--)
        {
            var type = (ItemType)reader.ReadInt32();
            var list = new ItemMapping[reader.ReadCount()];
            for (var i = 0; i < list.Length; i++)
            {
                var name = ReadOptional(ref reader);
                var target = events[reader.ReadCount()];
                var fields = new KeyValuePair<string, FieldDefinition>[reader.ReadCount()];
                for (var j = 0; j < fields.Length; j++)
                {
                    var source = reader.ReadString();
                    fields[j] = new(source, Field(target, reader.ReadString()));
                }

                var duration = ReadOptional(ref reader) is { } d ? Field(target, d) : null;
                var success = ReadOptional(ref reader) is { } s ? Field(target, s) : null;
                var stack = ReadOptional(ref reader) is { } k ? Field(target, k) : null;
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

    private static FieldDefinition ReadField(ref CompiledReader reader)
    {
        var name = reader.ReadString();
        var kind = (FieldKind)reader.ReadInt32();
        var description = reader.ReadString();
        var values = ReadStrings(ref reader);
        var unit = ReadOptional(ref reader);
        var minimum = ReadOptionalNumber(ref reader);
        var maximum = ReadOptionalNumber(ref reader);
        var boundaries = new double[reader.ReadCount()];
        for (var i = 0; i < boundaries.Length; i++)
        {
            boundaries[i] = reader.ReadDouble();
        }

        var allow = ReadStrings(ref reader);
        var item = reader.ReadBoolean() ? ReadField(ref reader) : null;
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

    private static string[] ReadStrings(ref CompiledReader reader)
    {
        var values = new string[reader.ReadCount()];
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

    private static string? ReadOptional(ref CompiledReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static void WriteOptional(BinaryWriter writer, double? value)
    {
        writer.Write(value.HasValue);
        if (value.HasValue)
        {
            writer.Write(value.GetValueOrDefault());
        }
    }

    private static double? ReadOptionalNumber(ref CompiledReader reader) => reader.ReadBoolean() ? reader.ReadDouble() : null;
}
