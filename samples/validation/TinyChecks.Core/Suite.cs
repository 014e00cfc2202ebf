using System.Text.Json.Serialization;

namespace TinyChecks;

/// <summary>Several checks run together.</summary>
public sealed class Suite
{
    private readonly Check[] _checks;

    /// <summary>A suite named <paramref name="name"/> of <paramref name="checks"/>.</summary>
    public Suite(string name, params Check[] checks)
    {
        Name = name;
        _checks = checks;
    }

    /// <summary>The suite's name.</summary>
    public string Name { get; }

    /// <summary>The built-in data integrity suite: missing values and duplicate rows.</summary>
    public static Suite DataIntegrity() => new("Data integrity", new MissingValuesCheck(), new DuplicateRowsCheck());

    /// <summary>Runs every check on <paramref name="data"/>, reporting <c>run-suite</c> once (not one <c>run-check</c> per check).</summary>
    public SuiteResult Run(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = new SuiteResult(Name, [.. _checks.Select(c => c.Evaluate(data))]);
        LibraryTelemetry.Track("run-suite");
        return result;
    }
}

[JsonSerializable(typeof(string))]
internal sealed partial class TinyChecksJson : JsonSerializerContext;
