using Microsoft.Extensions.Options;

namespace Candor.Collector.Access;

/// <summary>Access settings (configuration section <c>Access</c>).</summary>
internal sealed class AccessOptions
{
    public const string Section = "Access";

    /// <summary>
    /// An admin token to accept, for deployments that keep secrets in configuration. Without one, the first start
    /// creates an admin token and prints it once. Only its hash is stored.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>
    /// How often a collector on PostgreSQL reads products and credentials again (default 30 s; zero turns it off),
    /// so that collectors sharing the database see each other's new keys, revocations and product settings.
    /// </summary>
    public TimeSpan RefreshEvery { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class AccessOptionsValidator : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var errors = new List<string>();
        if (options.AdminToken is { } token && (token.Length < 32 || token.Length > 200 || token.Any(char.IsWhiteSpace)))
        {
            errors.Add("Access:AdminToken must be 32 to 200 characters without spaces; leave it unset to have one created on first start");
        }

        if (options.RefreshEvery < TimeSpan.Zero)
        {
            errors.Add("Access:RefreshEvery must not be negative (zero turns refreshing off)");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
