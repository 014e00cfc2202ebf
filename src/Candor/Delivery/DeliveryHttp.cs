using System.Net;
using System.Net.Http.Headers;

namespace Candor.Delivery;

/// <summary>Gives the uploader its HTTP client, built on first call.</summary>
/// <remarks>
/// Its own delegate type rather than <c>Func&lt;HttpClient&gt;</c>: creating an instance of the generic type loads
/// <c>System.Net.Http</c>, which every run with telemetry on then paid when
/// delivery was built, although most runs send nothing.
/// </remarks>
internal delegate HttpClient HttpClientSource();

/// <summary>Builds the HTTP client the uploader uses.</summary>
internal static class DeliveryHttp
{
    // The collector answers with a small JSON document; anything bigger is not a collector.
    private const int MaxResponseBytes = 1024 * 1024;

    /// <summary>
    /// A client over <see cref="SocketsHttpHandler"/>, which honours the platform's proxy settings by default
    /// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; the system proxy on Windows and macOS). The request timeout is
    /// applied per request by the uploader on the injected clock; here it only bounds the connection.
    /// </summary>
    public static HttpClient Create(DeliveryOptions options, HttpMessageHandler? handler = null)
    {
        handler ??= new SocketsHttpHandler
        {
            ConnectTimeout = options.RequestTimeout,

            // A redirect would turn the POST into a GET, or take the key to another host.
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };

        var client = new HttpClient(handler, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = MaxResponseBytes,
        };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Candor", SdkVersion()));
        return client;
    }

    private static string SdkVersion() => typeof(DeliveryHttp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
