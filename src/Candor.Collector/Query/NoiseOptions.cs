using Microsoft.Extensions.Options;

namespace Candor.Collector.Query;

/// <summary>
/// How much noise the published figures carry (configuration section <c>Query:Noise</c>); see
/// <see cref="FigureNoise"/> and docs/privacy-model.md. Every answer of the query API states these values in its
/// <c>noise</c> member. The defaults hide one install in any difference of figures; they can be raised, and not
/// lowered to nothing: a collector whose figures are exact gives every reader what k was meant to hide.
/// </summary>
internal sealed class NoiseOptions
{
    public const string Section = "Query:Noise";

    /// <summary>The standard deviation of each noise layer of a count of installs (and of a duration bucket).</summary>
    public double Installs { get; set; } = 2.0;

    /// <summary>
    /// The standard deviation of each noise layer of a count of events, per event that one install may have added
    /// to it (the bound the store gives, <c>Heaviest</c>); never less than <see cref="Installs"/>.
    /// </summary>
    public double EventsPerHeaviest { get; set; } = 1.0;

    /// <summary>
    /// The standard deviation of the noise on k when deciding whether a group is shown (clipped at twice this),
    /// so that the boundary itself tells nothing exact.
    /// </summary>
    public double Threshold { get; set; } = 1.0;
}

internal sealed class NoiseOptionsValidator : IValidateOptions<NoiseOptions>
{
    public ValidateOptionsResult Validate(string? name, NoiseOptions options)
    {
        var errors = new List<string>();
        if (!(options.Installs is >= 1 and <= 1000))
        {
            errors.Add("Query:Noise:Installs must be between 1 and 1000 (a smaller standard deviation no longer hides one install)");
        }

        if (!(options.EventsPerHeaviest is >= 0.5 and <= 100))
        {
            errors.Add("Query:Noise:EventsPerHeaviest must be between 0.5 and 100 (a smaller one no longer hides a heavy install's events)");
        }

        if (!(options.Threshold is >= 0.5 and <= 100))
        {
            errors.Add("Query:Noise:Threshold must be between 0.5 and 100");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
