namespace Candor.Manifest;

/// <summary>
/// Thrown when a telemetry manifest is wrong, while the client is being built; never at track time.
/// The message names every problem found, each with its event and property.
/// </summary>
public sealed class ManifestException : Exception
{
    /// <summary>Creates the exception from the list of problems found.</summary>
    public ManifestException(IReadOnlyList<string> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with one problem.</summary>
    public ManifestException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with one problem and its cause.</summary>
    public ManifestException(string message, Exception innerException)
        : base(Describe([message]), innerException)
    {
        Errors = [message];
    }

    /// <summary>Creates an exception with no problem listed.</summary>
    public ManifestException()
        : this("the manifest is invalid")
    {
    }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Describe(IReadOnlyList<string> errors) =>
        errors.Count == 1
            ? "Invalid telemetry manifest: " + errors[0]
            : "Invalid telemetry manifest (" + errors.Count + " problems):" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", errors);
}
