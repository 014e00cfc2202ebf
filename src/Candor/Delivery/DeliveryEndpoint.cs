using Candor.Protocol;

namespace Candor.Delivery;

/// <summary>
/// Checks a collector address once, when the client is built, and derives the batch URL from it when the first
/// upload needs it (most short runs upload nothing in process).
/// </summary>
internal static class DeliveryEndpoint
{
    /// <summary>The batch URL under <paramref name="endpoint"/> (its path, if any, is kept as a prefix).</summary>
    /// <exception cref="ArgumentException">The address is not one <see cref="Check"/> accepts.</exception>
    public static Uri BatchUri(string endpoint) => BatchUri(Check(endpoint));

    /// <summary>The batch URL under an address <see cref="Check"/> accepted.</summary>
    public static Uri BatchUri(Uri endpoint) =>
        // Joined as text, not with UriBuilder: its path escaping compiles a vectorised search at run time, in every
        // run that builds a client. AbsolutePath is escaped already, and the batch path needs no escaping.
        new(endpoint.GetLeftPart(UriPartial.Authority) + endpoint.AbsolutePath.TrimEnd('/') + ProtocolConstants.BatchPath);

    /// <summary>
    /// Why <paramref name="endpoint"/> is not an address the SDK sends to (the reason <see cref="Check"/> gives), or
    /// null when it is one. The manifest compiler asks for the build's address, so that a wrong one fails the build,
    /// and a run that uses the compiled address does not check it again.
    /// </summary>
    public static string? Problem(string endpoint)
    {
        try
        {
            Check(endpoint);
            return null;
        }
        catch (ArgumentException ex)
        {
            // Without the " (Parameter 'endpoint')" that ArgumentException appends: the build's message is read by people.
            return ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
        }
    }

    /// <summary>The address, parsed.</summary>
    /// <exception cref="ArgumentException">
    /// The address is not an absolute http(s) URL, carries credentials, a query or a fragment, or uses plain
    /// http for anything but loopback: events must never cross a network unencrypted.
    /// </exception>
    public static Uri Check(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"The Candor endpoint '{endpoint}' is not an absolute https:// URL.", nameof(endpoint));
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            // The address is not repeated: it holds a secret.
            throw new ArgumentException("The Candor endpoint must not carry credentials; the ingestion key travels in a header.", nameof(endpoint));
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            throw new ArgumentException(
                $"The Candor endpoint '{endpoint}' must use https://. Plain http:// is allowed only for loopback (127.0.0.1, localhost, [::1]).",
                nameof(endpoint));
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new ArgumentException($"The Candor endpoint '{endpoint}' must not have a query or a fragment.", nameof(endpoint));
        }

        return uri;
    }
}
