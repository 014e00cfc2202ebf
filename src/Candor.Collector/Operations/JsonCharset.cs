using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Candor.Collector.Operations;

/// <summary>
/// Settles the charset of JSON bodies before the framework binds them. JSON between systems is UTF-8 (RFC 8259),
/// and the framework's own reader fails with a 500 on a charset it cannot name, quoted ones included
/// (<c>charset="utf-8"</c> is valid HTTP). So a UTF-8 charset, quoted or not, is accepted and any other is
/// refused with 415 and a sentence. Only endpoints that bind a JSON body are concerned: ingestion reads its body
/// itself and checks its media type there.
/// </summary>
internal sealed class JsonCharset(RequestDelegate next, ILogger<JsonCharset> logger)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is null
            || !MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType)
            || !mediaType.Parameters.Any(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)))
        {
            return next(http);
        }

        var charset = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString().Trim();
        if (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            // The body is what the framework reads by default; its charset parameter is dropped so it is not parsed again.
            http.Request.ContentType = mediaType.MediaType.ToString();
            return next(http);
        }

        var detail = $"JSON bodies are read as UTF-8: send charset=utf-8 or no charset, not '{Shorten(charset)}'";
        CollectorLog.BodyRefused(logger, (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "?", StatusCodes.Status415UnsupportedMediaType, detail);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType).ExecuteAsync(http);
    }

    // The charset is the client's text; it goes back to the client and into the log only as far as a name can go.
    private static string Shorten(string charset) =>
        charset.Length <= 40 ? charset : charset[..40] + "…";
}
