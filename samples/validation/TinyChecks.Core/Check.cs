namespace TinyChecks;

/// <summary>One validation of a dataset.</summary>
public abstract class Check
{
    /// <summary>The check's name, as reports show it.</summary>
    public abstract string Name { get; }

    /// <summary>Runs the check on <paramref name="data"/>, reporting <c>run-check</c>.</summary>
    public CheckResult Run(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = Evaluate(data);
        LibraryTelemetry.Track("run-check");
        return result;
    }

    /// <summary>What the check finds, without reporting anything; suites use it.</summary>
    internal abstract CheckResult Evaluate(Dataset data);
}

/// <summary>Fails when a column has missing values.</summary>
public sealed class MissingValuesCheck : Check
{
    /// <inheritdoc/>
    public override string Name => "Missing values";

    internal override CheckResult Evaluate(Dataset data)
    {
        var missing = data.Columns.Select((c, i) => (Column: c, Count: data.Rows.Count(r => r[i].Length == 0))).Where(c => c.Count > 0).ToList();
        return new(Name, missing.Count == 0, missing.Count == 0 ? "No missing values." : string.Join("; ", missing.Select(m => $"{m.Column}: {m.Count} missing")));
    }
}

/// <summary>Fails when a row appears more than once.</summary>
public sealed class DuplicateRowsCheck : Check
{
    /// <inheritdoc/>
    public override string Name => "Duplicate rows";

    internal override CheckResult Evaluate(Dataset data)
    {
        var duplicates = data.Rows.Count - data.Rows.Select(r => string.Join('\u001f', r)).Distinct(StringComparer.Ordinal).Count();
        return new(Name, duplicates == 0, duplicates == 0 ? "No duplicate rows." : $"{duplicates} duplicate rows.");
    }
}
