using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Candor.Manifest;

namespace Candor.CommandLine.Invocation;

/// <summary>
/// What the automatic events may carry, checked once against the manifest when the integration is set up, so a
/// manifest that does not match the tool's commands fails in the author's first run rather than dropping values
/// silently in users' hands. Also writes the manifest entries that match a command tree.
/// </summary>
/// <remarks>
/// The fields an automatic event may declare: <c>command</c> (enum of command paths), <c>options</c> (list of
/// enum of option names), <c>exitCode</c> (number), <c>duration</c> (duration), <c>exception</c> (stack) and
/// <c>option.NAME</c> for the value of the option <c>--NAME</c>, of kind enum, bool, number, bucket or duration.
/// An option's value is sent only when its field is declared, and then only a value the field accepts.
/// </remarks>
internal sealed class InvocationPlan
{
    public const string CommandField = "command";
    public const string OptionsField = "options";
    public const string ExitCodeField = "exitCode";
    public const string DurationField = "duration";
    public const string ExceptionField = "exception";
    public const string OptionValuePrefix = "option.";

    private static readonly JsonWriterOptions SnippetOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private InvocationPlan(EventDefinition? invocation, EventDefinition? crash, IReadOnlyDictionary<string, string> valueFields)
    {
        Invocation = invocation;
        Crash = crash;
        ValueFields = valueFields;
    }

    /// <summary>The event tracked for every command that runs, or null when invocations are not tracked.</summary>
    public EventDefinition? Invocation { get; }

    /// <summary>The error event tracked when a command throws, or null when the manifest does not declare it.</summary>
    public EventDefinition? Crash { get; }

    /// <summary>
    /// The names of the options whose value may be sent, with the field that carries it. By name, not by
    /// <see cref="Option"/>: commands often each have an option of the same name (<c>--triplet</c> on
    /// <c>install</c> and on <c>remove</c>), and one <c>option.NAME</c> field serves them all.
    /// </summary>
    public IReadOnlyDictionary<string, string> ValueFields { get; }

    /// <summary>Checks the manifest against the tree.</summary>
    /// <exception cref="ManifestException">The manifest does not declare the invocation event, or it does not fit the commands; the message ends with the entries to paste.</exception>
    public static InvocationPlan Build(RootCommand root, TelemetryManifest manifest, CandorCommandLineOptions options, Func<Command, bool> skip, Func<Option, bool> exclude)
    {
        if (!options.TrackInvocations)
        {
            return new(null, null, new Dictionary<string, string>(StringComparer.Ordinal));
        }

        var paths = CommandTree.Commands(root, skip).Select(c => c.Path).ToList();
        var tracked = CommandTree.Options(root, skip, exclude);
        var problems = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var invocation = manifest.Find(options.InvocationEvent);
        if (invocation is null)
        {
            problems.Add($"event '{options.InvocationEvent}' is not declared, and the command-line integration tracks it for every command that runs (or set TrackInvocations = false)");
        }
        else
        {
            Check(invocation, paths, tracked, values, problems);
        }

        var crash = manifest.Find(options.CrashEvent);
        if (crash is not null)
        {
            Check(crash, paths, tracked, values, problems);
            if (crash.Level != EventLevel.Error)
            {
                problems.Add($"event '{crash.Name}': 'level' must be 'error', so users who send only errors still report crashes");
            }
        }

        if (problems.Count > 0)
        {
            if (manifest.Namespaces.Count == 0)
            {
                // The crash event's stack field is only valid with them: say so now rather than at the next run.
                problems.Add("the crash event's 'exception' (stack) also needs the manifest's top-level \"namespaces\": the tool's own code namespaces, such as [\"MyTool\", \"Program\"] (\"Program\" for top-level statements)");
            }

            // Last, so that the entries to paste end the message.
            problems.Add("these entries of the manifest's \"events\" fit the commands as they are now:" + Environment.NewLine + Entries(root, options, skip, exclude));
            throw new ManifestException(problems);
        }

        return new(invocation, crash, values);
    }

    /// <summary>The manifest entries (two JSON objects, comma-separated) for the invocation and crash events of this tree.</summary>
    public static string Entries(RootCommand root, CandorCommandLineOptions options, Func<Command, bool> skip, Func<Option, bool> exclude)
    {
        var paths = CommandTree.Commands(root, skip).Select(c => c.Path).ToList();
        var tracked = CommandTree.Options(root, skip, exclude);
        var invocation = Entry(writer =>
        {
            writer.WriteString("name", options.InvocationEvent);
            writer.WriteString("description", "A command ran: never for the bare command, --help, --version or a command line that does not parse.");
            writer.WriteString("purpose", "Know which commands and options are used, how long they take and how often they fail.");
            writer.WriteString("level", "usage");
            writer.WriteStartArray("properties");
            WriteCommonProperties(writer, paths, tracked);
            foreach (var option in tracked)
            {
                if (EnumType(option) is { } type)
                {
                    Field(writer, OptionValuePrefix + Bare(option.Name), "enum", $"The value given to {option.Name}.", w =>
                    {
                        w.WriteStartArray("values");
                        foreach (var name in Enum.GetNames(type))
                        {
                            w.WriteStringValue(name);
                        }

                        w.WriteEndArray();
                    });
                }
            }

            writer.WriteEndArray();
            writer.WriteStartArray("measurements");
            Field(writer, ExitCodeField, "number", "The exit code the command returned; absent when it crashed.", w =>
            {
                w.WriteString("unit", "code");
                w.WriteNumber("minimum", int.MinValue);
                w.WriteNumber("maximum", int.MaxValue);
            });
            Field(writer, DurationField, "duration", "How long the command ran.");
            writer.WriteEndArray();
        });
        var crash = Entry(writer =>
        {
            writer.WriteString("name", options.CrashEvent);
            writer.WriteString("description", "A command crashed with an exception.");
            writer.WriteString("purpose", "Find and fix crashes.");
            writer.WriteString("level", "error");
            writer.WriteStartArray("properties");
            WriteCommonProperties(writer, paths, tracked);
            Field(writer, ExceptionField, "stack", "The exception's type names and the tool's own method names; never its message or file paths.");
            writer.WriteEndArray();
            writer.WriteStartArray("measurements");
            Field(writer, DurationField, "duration", "How long the command ran before it crashed.");
            writer.WriteEndArray();
        });
        return invocation + "," + Environment.NewLine + crash;
    }

    /// <summary>The option's name without its leading dashes: <c>--jobs</c> is <c>jobs</c>.</summary>
    public static string Bare(string optionName) => optionName.TrimStart('-');

    private static void Check(EventDefinition definition, List<string> paths, IReadOnlyList<Option> tracked, Dictionary<string, string> values, List<string> problems)
    {
        var where = $"event '{definition.Name}'";
        foreach (var field in definition.Fields)
        {
            switch (field.Name)
            {
                case CommandField:
                    Expect(field.Kind == FieldKind.Enum, $"{where}, property '{field.Name}': kind must be 'enum' (the command paths)");
                    Missing(field, paths, "command", problems, where);
                    break;
                case OptionsField:
                    Expect(field is { Kind: FieldKind.List, Item.Kind: FieldKind.Enum }, $"{where}, property '{field.Name}': kind must be 'list' of 'enum' items (the option names)");
                    if (field.Item is { Kind: FieldKind.Enum } item)
                    {
                        Missing(item, [.. tracked.Select(o => o.Name)], "option", problems, where);
                    }

                    break;
                case ExitCodeField:
                    Expect(field.Kind == FieldKind.Number, $"{where}, measurement '{field.Name}': kind must be 'number'");
                    break;
                case DurationField:
                    Expect(field.Kind == FieldKind.Duration, $"{where}, measurement '{field.Name}': kind must be 'duration'");
                    break;
                case ExceptionField:
                    Expect(field.Kind == FieldKind.Stack, $"{where}, property '{field.Name}': kind must be 'stack'");
                    break;
                default:
                    var option = field.Name.StartsWith(OptionValuePrefix, StringComparison.Ordinal)
                        ? tracked.FirstOrDefault(o => Bare(o.Name) == field.Name[OptionValuePrefix.Length..])
                        : null;
                    if (option is null)
                    {
                        problems.Add($"{where}: '{field.Name}' is neither a field the automatic event fills ({CommandField}, {OptionsField}, {ExitCodeField}, {DurationField}, {ExceptionField}) nor '{OptionValuePrefix}NAME' for an option --NAME of the tool");
                    }
                    else if (field.Kind is FieldKind.Enum or FieldKind.Bool or FieldKind.Number or FieldKind.Bucket or FieldKind.Duration)
                    {
                        values.TryAdd(option.Name, field.Name);
                    }
                    else
                    {
                        problems.Add($"{where}, '{field.Name}': an option's value may be sent only as kind enum, bool, number, bucket or duration, never as '{field.Kind}'");
                    }

                    break;
            }
        }

        void Expect(bool condition, string problem)
        {
            if (!condition)
            {
                problems.Add(problem);
            }
        }
    }

    private static void Missing(FieldDefinition field, IReadOnlyList<string> expected, string what, List<string> problems, string where)
    {
        if (field.Kind != FieldKind.Enum)
        {
            return;
        }

        var missing = expected.Where(e => !field.HasValue(e)).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"{where}, '{field.Name}': the {what} {(missing.Count == 1 ? "name" : "names")} {string.Join(", ", missing.Select(m => $"'{m}'"))} {(missing.Count == 1 ? "is" : "are")} not among its values");
        }
    }

    private static void WriteCommonProperties(Utf8JsonWriter writer, List<string> paths, IReadOnlyList<Option> tracked)
    {
        Field(writer, CommandField, "enum", "The command that ran, as its path of subcommand names ('/' is the tool itself).", w =>
        {
            w.WriteStartArray("values");
            foreach (var path in paths)
            {
                w.WriteStringValue(path);
            }

            w.WriteEndArray();
        });
        if (tracked.Count > 0)
        {
            Field(writer, OptionsField, "list", "The names of the options given on the command line, never their values.", w =>
            {
                w.WriteNumber("maxItems", Math.Min(tracked.Count, 1000));
                w.WriteStartObject("item");
                w.WriteString("kind", "enum");
                w.WriteString("description", "An option's name.");
                w.WriteStartArray("values");
                foreach (var option in tracked)
                {
                    w.WriteStringValue(option.Name);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
    }

    private static void Field(Utf8JsonWriter writer, string name, string kind, string description, Action<Utf8JsonWriter>? more = null)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("kind", kind);
        writer.WriteString("description", description);
        more?.Invoke(writer);
        writer.WriteEndObject();
    }

    private static string Entry(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SnippetOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static Type? EnumType(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        return type.IsEnum ? type : null;
    }

    /// <summary>An option's value in the form its field takes, or null when it has none that fits.</summary>
    public static object? Convert(object? value, FieldKind kind) => (kind, value) switch
    {
        (_, null) => null,
        (FieldKind.Bool, bool flag) => flag,
        (FieldKind.Enum, bool flag) => flag ? "true" : "false",
        (FieldKind.Enum, string text) => text,
        (FieldKind.Enum, Enum member) => member.ToString(),
        (FieldKind.Enum, IFormattable number) when IsNumber(number) => number.ToString(null, CultureInfo.InvariantCulture),
        (FieldKind.Duration, TimeSpan span) => span,
        (FieldKind.Number or FieldKind.Bucket, IConvertible number) when IsNumber(number) => number.ToDouble(CultureInfo.InvariantCulture),
        _ => null,
    };

    private static bool IsNumber(object value) =>
        value is byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal;
}
