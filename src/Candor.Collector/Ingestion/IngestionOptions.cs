using System.Net;
using Microsoft.Extensions.Options;

namespace Candor.Collector.Ingestion;

/// <summary>Ingestion limits (configuration section <c>Ingestion</c>).</summary>
internal sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// <summary>
    /// Requests one ingestion key may make per <see cref="RateWindow"/> (a token bucket; bursts up to this). Every
    /// install of a product shares its key, so this caps the whole product: it is there to blunt a leaked key.
    /// </summary>
    public int PermitsPerKey { get; set; } = 6000;

    /// <summary>Requests one client address may make per <see cref="RateWindow"/>, whatever the endpoint (a NAT may hide many users).</summary>
    public int PermitsPerAddress { get; set; } = 600;

    /// <summary>The period over which the permits above refill.</summary>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How far in the future an event's time may be (clocks drift); later events are refused.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>Where clients come from (configuration section <c>Network</c>).</summary>
internal sealed class NetworkOptions
{
    public const string Section = "Network";

    /// <summary>
    /// Proxies whose <c>X-Forwarded-For</c> is believed: addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/8</c>).
    /// Empty (the default): the header is ignored and the connection's address is the client's.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>An IP-to-country CSV file (<c>start_ip,end_ip,country</c> per line); without one, no country is derived.</summary>
    public string? CountryDatabase { get; set; }
}

internal sealed class IngestionOptionsValidator : IValidateOptions<IngestionOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestionOptions options)
    {
        var errors = new List<string>();
        if (options.PermitsPerKey < 1)
        {
            errors.Add("Ingestion:PermitsPerKey must be 1 or more");
        }

        if (options.PermitsPerAddress < 1)
        {
            errors.Add("Ingestion:PermitsPerAddress must be 1 or more");
        }

        if (options.RateWindow <= TimeSpan.Zero)
        {
            errors.Add("Ingestion:RateWindow must be a positive time span such as 00:01:00");
        }

        if (options.MaxClockSkew < TimeSpan.Zero)
        {
            errors.Add("Ingestion:MaxClockSkew must not be negative");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class NetworkOptionsValidator : IValidateOptions<NetworkOptions>
{
    public ValidateOptionsResult Validate(string? name, NetworkOptions options)
    {
        var errors = new List<string>();
        foreach (var proxy in options.TrustedProxies)
        {
            if (!IPAddress.TryParse(proxy, out _) && !System.Net.IPNetwork.TryParse(proxy, out _))
            {
                errors.Add($"Network:TrustedProxies: '{proxy}' is neither an IP address nor a network such as 10.0.0.0/8");
            }
        }

        if (options.CountryDatabase is { } path && !File.Exists(path))
        {
            errors.Add($"Network:CountryDatabase: no file at '{Path.GetFullPath(path)}'");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
