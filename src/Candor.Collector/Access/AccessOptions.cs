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
}

internal sealed class AccessOptionsValidator : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options) =>
        options.AdminToken is { } token && (token.Length < 32 || token.Length > 200 || token.Any(char.IsWhiteSpace))
            ? ValidateOptionsResult.Fail("Access:AdminToken must be 32 to 200 characters without spaces; leave it unset to have one created on first start")
            : ValidateOptionsResult.Success;
}
