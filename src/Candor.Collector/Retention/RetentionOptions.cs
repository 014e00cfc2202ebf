using Microsoft.Extensions.Options;

namespace Candor.Collector.Retention;

/// <summary>Retention settings (configuration section <c>Retention</c>); each product sets its own raw-event retention.</summary>
internal sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>How often the retention job runs (also once at start).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many months the daily rollups are kept, for every product.</summary>
    public int RollupMonths { get; set; } = 36;

    /// <summary>
    /// The longest time the bytes of deleted rows (on request or by retention) may stay in the store's files. Only the
    /// PostgreSQL store needs it: each retention run rewrites its tables when a deletion is older than this less one
    /// <see cref="Interval"/>, so the bound holds; zero rewrites them at every run that follows a deletion. SQLite erases
    /// as it deletes.
    /// </summary>
    public TimeSpan ErasureCompaction { get; set; } = TimeSpan.FromDays(1);
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = new List<string>();
        if (options.Interval < TimeSpan.FromSeconds(1) || options.Interval > TimeSpan.FromDays(30))
        {
            errors.Add("Retention:Interval must be between 00:00:01 and 30.00:00:00");
        }

        if (options.RollupMonths is < 1 or > 240)
        {
            errors.Add("Retention:RollupMonths must be between 1 and 240");
        }

        if (options.ErasureCompaction < TimeSpan.Zero || options.ErasureCompaction > TimeSpan.FromDays(30))
        {
            errors.Add("Retention:ErasureCompaction must be between 0 and 30.00:00:00");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
