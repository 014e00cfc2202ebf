using Microsoft.Extensions.Options;

namespace Candor.Collector.Dashboard;

/// <summary>Dashboard settings (configuration section <c>Dashboard</c>).</summary>
internal sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>How long a computed page is shown as it is before it is computed again.</summary>
    public TimeSpan FreshFor { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long an older page may still be shown, at once, while a new one is computed in the background
    /// (the page says when its figures were read). Past this, the reader waits for new figures.
    /// </summary>
    public TimeSpan ServeStaleFor { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How often each product's default page (the last 30 days, no filter) is computed ahead of time; zero turns it off.</summary>
    public TimeSpan WarmEvery { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often an open product page asks whether new events of its product were stored, and reloads when they
    /// were; zero turns it off (the page then shows new events when it is reloaded by hand). The question reads no
    /// data, so it is cheap; the reload computes the page again.
    /// </summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a sign-in lasts without use.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}

internal sealed class DashboardOptionsValidator : IValidateOptions<DashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, DashboardOptions options)
    {
        var errors = new List<string>();
        if (options.FreshFor < TimeSpan.Zero)
        {
            errors.Add("Dashboard:FreshFor must not be negative");
        }

        if (options.ServeStaleFor < TimeSpan.Zero)
        {
            errors.Add("Dashboard:ServeStaleFor must not be negative");
        }

        if (options.WarmEvery < TimeSpan.Zero)
        {
            errors.Add("Dashboard:WarmEvery must not be negative (zero turns warming off)");
        }

        if (options.CheckEvery < TimeSpan.Zero || options.CheckEvery > TimeSpan.Zero && options.CheckEvery < TimeSpan.FromSeconds(1))
        {
            errors.Add("Dashboard:CheckEvery must be zero (off) or at least one second");
        }

        if (options.SessionLifetime < TimeSpan.FromMinutes(1))
        {
            errors.Add("Dashboard:SessionLifetime must be at least one minute");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
